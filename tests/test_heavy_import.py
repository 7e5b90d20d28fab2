"""How an entry point imports its task: full garbage collections held back, then, in a script's process, frozen."""

import gc
import runpy
import sys
import uuid

import pytest

from backprop_lab.errors import _task
from backprop_lab.heavy_import import NEVER, started_for_main_script

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


@pytest.fixture
def as_script_process(tmp_path, monkeypatch):
    """This process as if started by `python <script>`: the script is `__main__` and on the command line."""
    script = tmp_path / "entry_point.py"
    script.write_text("")
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(script), raising=False)
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, str(script), "optimizer=adam"])


def held_back_threshold() -> tuple[int, int, int]:
    """What the collector reports while full collections are held back (3.14's incremental one has no third)."""
    threshold = gc.get_threshold()
    try:
        gc.set_threshold(threshold[0], threshold[1], NEVER)
        return gc.get_threshold()
    finally:
        gc.set_threshold(*threshold)


def test_first_import_holds_full_collections_back_then_freezes_what_it_left(probe_module, as_script_process):
    path, name = probe_module
    path.write_text(PROBE)
    threshold, held_back, frozen = gc.get_threshold(), held_back_threshold(), gc.get_freeze_count()

    task = _task(f"{name}:task")

    module = sys.modules[name]
    assert task("cfg") == "cfg"
    assert module.seen_threshold == held_back  # young generations still collected; full ones held back
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() >= frozen + len(module.objects)
    # Imported already: nothing frozen again.
    frozen = gc.get_freeze_count()
    assert _task(f"{name}:task") is task
    assert gc.get_freeze_count() == frozen


def test_a_process_running_the_script_inside_itself_is_not_frozen(probe_module):
    """pytest here, like a notebook's `%run` or `runpy`: the host's own objects must stay collectable."""
    path, name = probe_module
    path.write_text(PROBE)
    assert not started_for_main_script()
    frozen = gc.get_freeze_count()
    _task(f"{name}:task")
    assert gc.get_freeze_count() == frozen
    assert sys.modules[name].seen_threshold == held_back_threshold()  # full collections held back all the same


def test_only_the_script_on_the_command_line_counts(tmp_path, monkeypatch, as_script_process):
    assert started_for_main_script()
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "-m", "pytest", str(tmp_path / "other.py")])
    assert not started_for_main_script()
    host = tmp_path / "host.py"
    code = "from backprop_lab.heavy_import import started_for_main_script\n"
    host.write_text(code + "frozen = started_for_main_script()\n")
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, str(tmp_path / "notebook_kernel.py")])
    assert runpy.run_path(str(host), run_name="__main__")["frozen"] is False  # a script run by another


def test_a_failed_import_restores_the_collector_and_freezes_nothing(probe_module, as_script_process):
    path, name = probe_module
    path.write_text(PROBE + "\nraise ValueError('broken module')\n")
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(ValueError, match="broken module"):
        _task(f"{name}:task")
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen
