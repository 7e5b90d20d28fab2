"""The project's own config options (`configs/<group>/<option>.yaml`): the trusted half of a rebuild.

A checkpoint's record (`runs/record.py`) names which option of `configs/data/`
and `configs/model/` a run used and the plain values it set. Eval and predict
take the `_target_`s from the project's file and only the values from the
record: a record can change a value the option already has, never add a key
or name another class.
"""

from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def flatten(node: Any, prefix: str) -> dict[str, Any]:
    """A plain config tree as {dotted key: value}; lists are values."""
    if isinstance(node, dict):
        return {k: v for key, value in node.items() for k, v in flatten(value, f"{prefix}.{key}").items()}
    return {prefix: node}


def _is_special(key: str) -> bool:
    return key.rsplit(".", 1)[-1].startswith("_")


def option_file(group: str, option: str) -> Path:
    return CONFIGS / group / f"{option}.yaml"


def _option_tree(group: str, option: str) -> Any:
    return OmegaConf.to_container(OmegaConf.load(option_file(group, option)), resolve=False)


def option_of(group: str, node: DictConfig | None) -> str | None:
    """The option of `configs/<group>/` that `node` was composed from; None when no option can hold it.

    Hydra's own choice when a Hydra app runs and it fits; otherwise the option
    that builds the same classes, takes every key of `node`, and shares most
    of its values (`data=iris` and `data=wine` differ in `name` only).
    """
    if node is None:
        return None
    values = flatten(OmegaConf.to_container(node, resolve=True), group)
    chosen = HydraConfig.get().runtime.choices.get(group) if HydraConfig.initialized() else None
    names = [chosen] if chosen else []
    names += sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))
    fitting = [n for n in names if option_file(group, n).is_file() and not section_problems(group, n, values)]
    if not fitting:
        return None
    if chosen in fitting:
        return chosen
    shared = {n: sum(v == values.get(k) for k, v in flatten(_option_tree(group, n), group).items()) for n in fitting}
    return max(fitting, key=shared.__getitem__)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "text", list: "a list"}.get(type(value), "")


def _where(option: str, group: str) -> str:
    return f"configs/{group}/{option}.yaml"


def _mappings(node: Any, prefix: str) -> set[str]:
    """The dotted keys of a plain tree that hold a mapping (the tree's own prefix included)."""
    if not isinstance(node, dict):
        return set()
    return {prefix}.union(*(_mappings(value, f"{prefix}.{key}") for key, value in node.items()))


def section_problems(group: str, option: str, values: dict[str, Any]) -> list[str]:
    """Why `values` ({dotted key: value}) cannot be set on the project's option; empty when they can.

    A value may change one the option has (keeping its type), or add an argument next to them (an experiment's
    `data.passes_per_epoch`); it may not replace a section, add one, or change a `_target_` or `_partial_`.
    """
    tree = _option_tree(group, option)
    theirs, sections, where = flatten(tree, group), _mappings(tree, group), _where(option, group)
    problems = []
    for key, value in values.items():
        parent = key.rsplit(".", 1)[0]
        if key not in theirs and (key in sections or parent not in sections or _is_special(key)):
            problems.append(f"{key} is not a key of {where}")
        elif _is_special(key) and value != theirs[key]:
            problems.append(f"{key}={value!r} is not the {theirs[key]!r} of {where}")
        elif key in theirs and not _is_special(key) and _kind(theirs[key]) and value is not None:
            project = theirs[key]
            interpolated = isinstance(project, str) and (project.startswith("${") or project == "???")
            if not interpolated and _kind(value) != _kind(project):
                problems.append(f"{key}={value!r} is not {_kind(project)}, as in {where}")
    return problems


def project_section(group: str, option: str, values: dict[str, Any], root: dict[str, Any]) -> DictConfig:
    """The project's option with `values` set on it (after `section_problems` found none), under `root`'s keys.

    `root` holds what the option's interpolations refer to (`seed`). The values are plain data with no `${`
    in them (the record's schema refuses it), so setting them resolves nothing.
    """
    cfg = OmegaConf.create({**root, group: OmegaConf.load(option_file(group, option))})
    for key, value in values.items():
        if not _is_special(key):
            OmegaConf.update(cfg, key, value, merge=False)
    return cfg[group]
