"""What a config read from outside (a run folder, a checkpoint) may instantiate.

`hydra.utils.instantiate` calls whatever `_target_` names, with whatever
`_args_` and keyword arguments sit next to it: `{_target_: shutil.copyfile,
_args_: [a, b]}` copies a file. Run folders are shared, so eval and predict
check every `_target_` of what they rebuild against this list first, nested
ones (inside `_args_`, lists, `_partial_` samplers) included.

A fork adds its own building blocks to `ALLOWED_MODULES` (module prefixes).
Only whole modules are listed, never `backprop_lab` itself: the package also
holds functions that write files or run whole tasks (`backprop_lab.train.train`).
"""

import importlib
import inspect
from typing import Any

from backprop_lab.errors import UnsafeTargetError

# A target is allowed when both its dotted name and the module that defines the object start with one of
# these (`backprop_lab.data.csv_file.Path` names pathlib.Path through an import: refused).
ALLOWED_MODULES: tuple[str, ...] = (
    "backprop_lab.data.",
    "backprop_lab.models.",
    "backprop_lab.callbacks.",
    "backprop_lab.loggers.",
    "torch.optim.",
    "lightning.pytorch.callbacks.",
    "lightning.pytorch.loggers.",
)


def _allowed_name(name: str) -> bool:
    return any(name.startswith(prefix) for prefix in ALLOWED_MODULES)


def _locate(target: str) -> Any:
    """The object `target` names, importing only allowed modules (importing a module runs its code)."""
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        if not _allowed_name(module_name + "."):
            break
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"no allowed module holds {target}")


def _refuse(key: str, target: Any, source: str, why: str) -> UnsafeTargetError:
    return UnsafeTargetError(
        f"Refusing to rebuild from {source}: {key}._target_={target!r} {why}. Instantiating a config calls the "
        "function it names, so a config from a shared run folder or checkpoint may only name the project's own "
        f"building blocks ({', '.join(p.rstrip('.') for p in ALLOWED_MODULES)}). If you trust this folder and "
        "the target is yours, add its module to ALLOWED_MODULES in "
        "src/backprop_lab/config/allowlist.py; otherwise do not use it."
    )


def check_target(target: Any, key: str, source: str) -> None:
    """Raise `UnsafeTargetError` unless `target` names a class or function defined in an allowed module."""
    if not isinstance(target, str) or not _allowed_name(target):
        raise _refuse(key, target, source, "is not on the allowlist")
    try:
        obj = _locate(target)
    except (ImportError, AttributeError):
        raise _refuse(key, target, source, "cannot be found in an allowed module") from None
    defined_in = getattr(obj, "__module__", None) or ""
    plain = inspect.isclass(obj) or inspect.isfunction(obj)
    top_level = "." not in getattr(obj, "__qualname__", ".")
    if not (plain and top_level and _allowed_name(defined_in + ".")):
        where = f"defined in {defined_in}" if defined_in else "not a class or function"
        raise _refuse(key, target, source, f"resolves to {obj!r} ({where}), not to a class or function of its own")


def check_targets(node: Any, key: str, source: str) -> None:
    """Check every `_target_` in a plain (resolved) config tree: dicts, lists and everything nested in them."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "_target_":
                check_target(value, key, source)
            else:
                check_targets(value, f"{key}.{name}", source)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            check_targets(value, f"{key}[{i}]", source)
