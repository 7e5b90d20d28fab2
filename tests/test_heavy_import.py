"""How an entry point imports its task: full garbage collections held back, then what the import left frozen."""

import gc
import sys
import uuid

import pytest

from backprop_lab.errors import _task
from backprop_lab.heavy_import import NEVER

PROBE = """
import gc

seen_threshold = gc.get_threshold()
objects = [{"index": i} for i in range(1000)]

def task(cfg):
    return cfg
"""


@pytest.fixture
def probe_module(tmp_path, monkeypatch):
    """A fresh module on sys.path; the freeze it causes is undone afterwards, the worker's objects collected again."""
    name = f"probe_{uuid.uuid4().hex}"
    monkeypatch.syspath_prepend(str(tmp_path))
    threshold = gc.get_threshold()
    yield tmp_path / f"{name}.py", name
    gc.unfreeze()
    gc.set_threshold(*threshold)
    sys.modules.pop(name, None)


def test_first_import_holds_full_collections_back_then_freezes_what_it_left(probe_module):
    path, name = probe_module
    path.write_text(PROBE)
    young, middle, oldest = gc.get_threshold()
    frozen = gc.get_freeze_count()

    task = _task(f"{name}:task")

    module = sys.modules[name]
    assert task("cfg") == "cfg"
    assert module.seen_threshold == (young, middle, NEVER)  # young generations still collected during the import
    assert gc.get_threshold() == (young, middle, oldest)
    assert gc.get_freeze_count() >= frozen + len(module.objects)
    # Imported already: nothing frozen again.
    frozen = gc.get_freeze_count()
    assert _task(f"{name}:task") is task
    assert gc.get_freeze_count() == frozen


def test_a_failed_import_restores_the_collector_and_freezes_nothing(probe_module):
    path, name = probe_module
    path.write_text(PROBE + "\nraise ValueError('broken module')\n")
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(ValueError, match="broken module"):
        _task(f"{name}:task")
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen
