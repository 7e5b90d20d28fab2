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
freed as usual), and then every object alive, the import's and the few
before it, is frozen (`gc.freeze`): moved to a generation the collector
never scans. Everything the run creates afterwards is collected as usual.
The price: cyclic garbage not yet collected at that moment is frozen
instead of freed (232 objects after importing the train task here); the
run's peak resident memory did not move.
"""

import gc
import importlib
import sys
from types import ModuleType

NEVER = 2**31 - 1  # the largest threshold `gc.set_threshold` takes (a C int)


def import_module(name: str) -> ModuleType:
    """`importlib.import_module`; the first time in this process, without full collections, then frozen."""
    if name in sys.modules:
        return sys.modules[name]
    young, middle, oldest = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    try:
        module = importlib.import_module(name)
    finally:
        gc.set_threshold(young, middle, oldest)
    gc.freeze()
    return module
