"""Import an entry point's task module (torch, Lightning, Hydra's plugins) without re-scanning it for garbage.

Importing the training stack leaves about 420,000 objects that live as long
as the process: modules, classes, functions. CPython's cyclic garbage
collector walks all of them at each of its full (oldest-generation)
collections: six while they are imported, and several more while the
interpreter shuts down. On two cores those walks took about 0.7 s of the
imports and 1 s of the shutdown, out of a 7 s default run
(docs/performance.md, "Cold start").

So the first import of a task module runs with full collections held back
(the young generations are still collected, so its short-lived garbage is
freed as usual). Then, in a process started to run the entry point itself
(`python scripts/train.py ...`), every object alive is frozen (`gc.freeze`):
moved to a generation the collector never scans. Everything the run creates
afterwards is collected as usual. The price: an object alive at the freeze
that later dies in a reference cycle is never freed. In a script run those
are Hydra's composition state: about 1 MB after one run, 4 MB after a
20-job sweep, and no more (one freeze a process). A process that runs the
script inside itself (`runpy`, a notebook's `%run`) is not frozen: its own
objects would be pinned too.
"""

import gc
import importlib
import os
import sys
from types import ModuleType

NEVER = 2**31 - 1  # the largest threshold `gc.set_threshold` takes (a C int)


def import_module(name: str) -> ModuleType:
    """`importlib.import_module`; the first time, without full collections, then frozen in a script's own process.

    Where the collector has no third generation (Python 3.14's incremental
    one ignores the third threshold), only the freeze applies.
    """
    if name in sys.modules:
        return sys.modules[name]
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    try:
        module = importlib.import_module(name)
    finally:
        gc.set_threshold(young, middle, oldest)
    if started_for_main_script():
        gc.freeze()
    return module


def started_for_main_script() -> bool:
    """Whether this interpreter was started to run the `__main__` script: its path is on the command line."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is None:
        return False
    main_path = os.path.realpath(main_file)
    return any(os.path.realpath(arg) == main_path for arg in sys.orig_argv[1:])
