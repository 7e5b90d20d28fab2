"""The run record every checkpoint carries: typed, versioned, plain data that eval, predict and resume read.

It is read from files other people hand around, so it is data, never config:
`parse_record` checks every field's type and range and refuses any text with
`${` in it, so nothing in it can become an OmegaConf interpolation; no value
of it is passed to `instantiate` as a `_target_` (see `config/options.py` for
how the model and data are rebuilt from the project's own config files).
It loads with `torch.load(weights_only=True)` like the weights.
"""

import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from backprop_lab.errors import CheckpointError
from backprop_lab.models.tasks import TASK_NAMES

RECORD_KEY = "backprop_lab"
RECORD_VERSION = 1
GROUPS = ("data", "model")  # the groups eval rebuilds from configs/<group>/<option>.yaml
SETTINGS = ("data", "model", "optimizer", "scheduler", "seed")  # what a resume must keep
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_OPTION = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_PREPROCESSING = {"mean", "std", "target_mean", "target_std", "columns", "target", "file"}
# What a CSV's preprocessing adds (data/tabular.py): the columns' kinds, fill values, categories, indicators.
_PREPROCESSING |= {"kinds", "fill", "categories", "indicators", "encoded_columns", "na_values", "decimal"}


@dataclass(frozen=True)
class RunRecord:
    """What a checkpoint's training run was: its options, settings, data shape, task and fitted scaling."""

    options: dict[str, str | None]  # {"data": "xor", "model": "mlp"}: files of configs/<group>/
    settings: dict[str, Any]  # {"optimizer.lr": 0.5, "model.net.hidden": [8], ...}: resolved, flat
    input_shape: list[int]  # one input row's shape: [2] for XOR, [1, 8, 8] for the digits as images
    task: str
    num_classes: int
    class_names: list[str]
    preprocessing: dict[str, Any] = field(default_factory=dict)
    version: int = RECORD_VERSION

    def section(self, group: str) -> dict[str, Any]:
        """The settings under `group.`, by dotted key."""
        return {k: v for k, v in self.settings.items() if k.startswith(f"{group}.")}

    @property
    def seed(self) -> int:
        return self.settings["seed"]

    def settings_tree(self) -> dict[str, Any]:
        """The settings nested again ({"data": {"batch_size": 4}, ...}): the shape the config checks read."""
        tree: dict[str, Any] = {}
        for key, value in self.settings.items():
            *parents, last = key.split(".")
            node = tree
            for name in parents:
                node = node.setdefault(name, {})
                if not isinstance(node, dict):
                    raise ValueError(f"{key} lies under {name}, which holds a value")
            node[last] = value
        return tree


def _text(value: Any) -> bool:
    return isinstance(value, str) and "${" not in value


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _plain(value: Any) -> bool:
    """None, true/false, a finite number, text without `${`, or a list of these (nested lists too)."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, bool) or _number(value) or _text(value)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(_text(v) for v in value)


def _scales(value: Any, width: int) -> bool:
    return isinstance(value, list) and len(value) == width and all(_number(v) and v > 0 for v in value)


class _Refusal(Exception):
    def __init__(self, key: str, value: Any, allowed: str) -> None:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        super().__init__(f"{key}={shown} is not allowed: it must be {allowed}")


def _need(ok: bool, key: str, value: Any, allowed: str) -> None:
    if not ok:
        raise _Refusal(key, value, allowed)


def _check_csv_preprocessing(pre: dict[str, Any]) -> None:
    """The CSV keys: one kind and one fill value per column, categories as texts, indicators among the columns."""
    columns = pre.get("columns", [])
    _need(_texts(columns), "preprocessing.columns", columns, "column names")
    if "kinds" in pre:
        kinds = pre["kinds"]
        ok = isinstance(kinds, list) and len(kinds) == len(columns) and set(kinds) <= {"number", "text"}
        _need(ok, "preprocessing.kinds", kinds, f"{len(columns)} kinds, each 'number' or 'text'")
        fill = pre.get("fill")
        ok = isinstance(fill, list) and len(fill) == len(columns)
        ok = ok and all(_number(v) if k == "number" else _text(v) for k, v in zip(kinds, fill, strict=True))
        _need(ok, "preprocessing.fill", fill, "one fill value per column: a finite number, or a text for text")
    if "categories" in pre:
        cats = pre["categories"]
        ok = isinstance(cats, dict) and set(cats) <= set(columns) and all(_texts(v) for v in cats.values())
        _need(ok, "preprocessing.categories", cats, "{text column: [its categories]}")
    if "indicators" in pre:
        _need(
            set(pre["indicators"]) <= set(columns) if _texts(pre["indicators"]) else False,
            "preprocessing.indicators",
            pre["indicators"],
            "names of feature columns",
        )
    for key in ("na_values",):
        if key in pre:
            _need(_texts(pre[key]), f"preprocessing.{key}", pre[key], "a list of texts")
    if "decimal" in pre:
        _need(pre["decimal"] in (".", ","), "preprocessing.decimal", pre["decimal"], "'.' or ','")


def _check_preprocessing(pre: Any, width: int) -> None:
    _need(isinstance(pre, dict) and set(pre) <= _PREPROCESSING, "preprocessing", pre, f"a dict of {_PREPROCESSING}")
    if "mean" in pre or "std" in pre:
        _need(
            isinstance(pre.get("mean"), list) and len(pre["mean"]) == width and all(map(_number, pre["mean"])),
            "preprocessing.mean",
            pre.get("mean"),
            f"{width} finite numbers (one per input value, in the row's flattened order)",
        )
        _need(
            _scales(pre.get("std"), width),
            "preprocessing.std",
            pre.get("std"),
            f"{width} finite numbers above 0 (a zero scale would divide by zero)",
        )
    if "target_mean" in pre or "target_std" in pre:
        _need(_number(pre.get("target_mean")), "preprocessing.target_mean", pre.get("target_mean"), "a finite number")
        std = pre.get("target_std")
        _need(_number(std) and std > 0, "preprocessing.target_std", std, "a finite number above 0")
    # A CSV's feature columns become `encoded_columns` (one-hot, indicators): those are the input values.
    encoded = "encoded_columns" if "encoded_columns" in pre else "columns"
    if encoded in pre:
        _need(
            _texts(pre[encoded]) and len(pre[encoded]) == width,
            f"preprocessing.{encoded}",
            pre[encoded],
            f"{width} column names",
        )
    _check_csv_preprocessing(pre)
    if "target" in pre:
        _need(_text(pre["target"]), "preprocessing.target", pre["target"], "a column name")
    if "file" in pre:
        file = pre["file"]
        ok = isinstance(file, dict) and set(file) == {"path", "size", "sha256"} and _text(file["path"])
        ok = ok and _whole(file["size"], 0) and bool(re.fullmatch(r"[0-9a-f]{64}", str(file["sha256"])))
        _need(ok, "preprocessing.file", file, "{path: text, size: bytes, sha256: 64 hex digits}")


def _check(raw: Any) -> RunRecord:
    names = {f.name for f in fields(RunRecord)}
    _need(isinstance(raw, dict), "the record", type(raw).__name__, "a dict")
    unknown = sorted(map(str, set(raw) - names))
    _need(not unknown, "its keys", unknown, f"among {sorted(names)}")
    missing = sorted(names - set(raw))
    _need(not missing, "its keys", missing, "all present")
    _need(
        raw["version"] == RECORD_VERSION and _whole(raw["version"], 0),
        "version",
        raw["version"],
        f"{RECORD_VERSION}, the record this version of the project writes",
    )
    options = raw["options"]
    _need(isinstance(options, dict) and set(options) == set(GROUPS), "options", options, f"a dict of {GROUPS}")
    for group, option in options.items():
        _need(
            option is None or (isinstance(option, str) and bool(_OPTION.match(option))),
            f"options.{group}",
            option,
            f"the name of a file in configs/{group}/ (letters, digits, - and _), or null",
        )
    settings = raw["settings"]
    _need(isinstance(settings, dict), "settings", settings, "a dict of dotted keys")
    for key, value in settings.items():
        _need(
            isinstance(key, str) and bool(_KEY.match(key)) and key.split(".")[0] in SETTINGS,
            "settings key",
            key,
            f"a dotted name under one of {SETTINGS}",
        )
        _need(
            _plain(value),
            f"settings.{key}",
            value,
            "plain data: a number, text without '${', true/false, null or a list",
        )
    _need(_whole(settings.get("seed"), 0), "settings.seed", settings.get("seed"), "a whole number >= 0")
    shape = raw["input_shape"]
    shape_ok = isinstance(shape, list) and 1 <= len(shape) <= 8 and all(_whole(n, 1) for n in shape)
    _need(shape_ok, "input_shape", shape, "a list of 1 to 8 whole numbers >= 1, e.g. [2] or [1, 8, 8]")
    _need(raw["task"] in TASK_NAMES, "task", raw["task"], f"one of {', '.join(TASK_NAMES)}")
    _need(_whole(raw["num_classes"], 0), "num_classes", raw["num_classes"], "a whole number >= 0")
    names_ok = _texts(raw["class_names"]) and len(raw["class_names"]) in (0, raw["num_classes"])
    _need(names_ok, "class_names", raw["class_names"], f"{raw['num_classes']} class names, each text without '${{'")
    _check_preprocessing(raw["preprocessing"], math.prod(shape))
    return RunRecord(**raw)


def parse_record(checkpoint: dict[str, Any], source: str) -> RunRecord:
    """The checkpoint's record, checked field by field; `CheckpointError` (one paragraph) when it is not one."""
    if RECORD_KEY not in checkpoint:
        raise CheckpointError(
            f"{source[:1].upper()}{source[1:]} holds no run record (the '{RECORD_KEY}' entry training writes into "
            "every checkpoint), so "
            "this project cannot tell which model and data it was trained with. Use a checkpoint written by "
            "scripts/train.py of this version, or train again."
        )
    try:
        return _check(checkpoint[RECORD_KEY])
    except _Refusal as err:
        raise CheckpointError(
            f"Refusing the run record in {source}: {err}. A run record is plain data written by scripts/train.py "
            "and is never resolved or instantiated; this one was changed or written by something else. Use a "
            "checkpoint from a run of this project, or train again."
        ) from None


def record_as_data(record: RunRecord) -> dict[str, Any]:
    """The record as the plain dict a checkpoint stores, checked as eval will check it (else: a bug, not a file)."""
    data = asdict(record)
    _check(data)
    return data


def settings_problem(settings: dict[str, Any]) -> str | None:
    """Why flat training settings cannot be recorded as plain data (a sentence naming the field), or None."""
    try:
        for key, value in settings.items():
            _need(_plain(value), key, value, "plain data: a number, text without '${', true/false, null or a list")
    except _Refusal as err:
        return str(err)
    return None
