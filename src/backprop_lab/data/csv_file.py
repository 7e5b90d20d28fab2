"""Any numeric CSV file with a target column: `data=csv data.path=... data.target=...`.

The target holds class labels (text or integers, each distinct value a
class, in sorted order; two classes are the binary task, more the
multi-class one) or, with `data.task=regression`, numbers to predict.

Named `csv_file`, not `csv`, so it never shadows the standard library's
`csv` module that it reads with. Every way a file can be unusable ends in a
`DataError` that says which file, what is wrong and how to fix it.
"""

import csv
import hashlib
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from backprop_lab.data.splits import SplitDataModule
from backprop_lab.data.targets import check_task_name
from backprop_lab.data.tensors import Split
from backprop_lab.errors import DataError

log = logging.getLogger(__name__)


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows, or a `DataError` for a file that is missing, unreadable or empty."""
    where = f"data.path={str(path)!r}"
    if not path.exists():
        raise DataError(
            f"Cannot read {where}: the file does not exist (looked in {path.resolve()}). Pass the path of an "
            "existing CSV file, e.g. data.path=data/my_table.csv; a relative path starts from the folder you run from."
        )
    if not path.is_file():
        raise DataError(f"Cannot read {where}: it is a directory, not a file. Pass the path of a CSV file.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
    except UnicodeDecodeError as err:
        raise DataError(f"Cannot read {where}: it is not UTF-8 text ({err.reason}). Save it as a UTF-8 CSV.") from err
    if not rows:
        raise DataError(
            f"Cannot read {where}: the file is empty. It needs a header row with the column names and at least "
            "one data row."
        )
    header = [name.strip() for name in rows[0]]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(
            f"Cannot read {where}: the header names the column(s) {', '.join(map(repr, repeated))} more than once, "
            "so which one to use is ambiguous. Give every column its own name in the file's first row."
        )
    if len(rows) == 1:
        raise DataError(f"Cannot read {where}: it has a header ({', '.join(header)}) but no data rows. Add rows.")
    return header, rows[1:]


def _column_index(header: list[str], name: str, field: str, where: str) -> int:
    if name not in header:
        raise DataError(
            f"{where} has no column {name!r} ({field}={name!r}). Its columns are: {', '.join(header)}. "
            f"Set {field} to one of them."
        )
    return header.index(name)


def _number(cell: str, line: int, column: str, where: str) -> float:
    text = cell.strip()
    try:
        value = float(text) if text else math.nan
    except ValueError:
        raise DataError(
            f"{where}, line {line}, column {column!r}: {cell!r} is not a number. Every feature and the target "
            "must be numeric: encode text as numbers, or leave the column out with data.features=[...]."
        ) from None
    if not math.isfinite(value):
        raise DataError(
            f"{where}, line {line}, column {column!r}: the value is missing or not finite ({cell!r}). Fill in or "
            "drop rows with missing values (NaN, inf or empty cells) before training."
        )
    return value


def _classes(cells: list[str], target: str, where: str) -> tuple[list[str], list[int]]:
    """The class names (sorted; numerically when all are integers) and every row's class index."""
    values = [c.strip() for c in cells]
    if any(not v for v in values):
        line = values.index("") + 2
        raise DataError(f"{where}, line {line}: the target column {target!r} is empty. Fill in or drop that row.")
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        numbers = None
    if numbers is not None:
        odd = sorted({n for n in numbers if not math.isfinite(n) or n != int(n)})
        if odd:
            shown = ", ".join(f"{v:g}" for v in odd[:5])
            raise DataError(
                f"{where}: the target column {target!r} holds {shown}, which are not class labels. For a numeric "
                "target to predict, set data.task=regression; for classes, use integers or names."
            )
        names = [f"{n:g}" for n in sorted({int(n) for n in numbers})]
        values = [f"{int(n):g}" for n in numbers]
    else:
        names = sorted(set(values))
    index = {name: i for i, name in enumerate(names)}
    return names, [index[v] for v in values]


def read_csv(path: Path, target: str, features: Sequence[str] | None = None, task: str | None = None) -> Split:
    """Read `features` (default: every column but the target) and the target as tensors (see `read_table`)."""
    x, y, _ = read_table(path, target, features, task)
    return x, y


def read_table(
    path: Path, target: str, features: Sequence[str] | None = None, task: str | None = None
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Features, targets (class indices, or values for regression) and the class names."""
    where = f"data.path={str(path)!r}"
    header, rows = _read_rows(path)
    target_index = _column_index(header, target, "data.target", where)
    names = list(features) if features is not None else [name for name in header if name != target]
    if not names:
        raise DataError(f"{where}: no feature columns left besides the target {target!r}. Add feature columns.")
    if target in names:
        raise DataError(f"data.features lists the target column {target!r} as a feature. Remove it from the list.")
    indices = [_column_index(header, name, "data.features", where) for name in names]

    x, cells = [], []
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{where}, line {line}: {len(row)} fields where the header has {len(header)}. "
                "Every row needs one value per column."
            )
        x.append([_number(row[i], line, header[i], where) for i in indices])
        cells.append(row[target_index])
    if task == "regression":
        y = [_number(cell, line, target, where) for line, cell in enumerate(cells, start=2)]
        return torch.tensor(x), torch.tensor(y), []
    names, y = _classes(cells, target, where)
    if len(names) < 2:
        raise DataError(
            f"{where}: the target column {target!r} holds only the class {names[0]} in all {len(y)} rows. A "
            "classifier needs examples of at least two classes to learn anything, and its accuracy and AUROC "
            "would mean nothing. Check data.target names the label column, or add rows of the other classes."
        )
    if task == "binary" and len(names) > 2:
        raise DataError(
            f"{where}: data.task=binary, but the target column {target!r} holds {len(names)} classes "
            f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}). Set data.task=multiclass (or null, to "
            "take the task from the labels), or map the labels to two classes."
        )
    return torch.tensor(x), torch.tensor(y, dtype=torch.float32), names


def fingerprint(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a data file: enough to tell, later, that it is no longer the file trained on."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": digest.hexdigest()}


class CsvDataModule(SplitDataModule):
    """A numeric CSV table: `target` the label or value column, `features` the input columns (default: all others).

    `task`: null takes it from the labels (two classes: binary, more: multiclass); regression reads numbers.
    """

    def __init__(
        self, path: str, target: str, features: Sequence[str] | None = None, task: str | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.requested_task = check_task_name(task, "data.task") if task is not None else None
        if task is not None:
            self.task = task
        self.path = Path(path)
        self.target = target
        # data.features=age (one name, no brackets) arrives as a string: one column, not three letters.
        self.features = [features] if isinstance(features, str) else None if features is None else list(features)
        self._source: dict[str, Any] = {}

    def load(self) -> Split:
        x, y, names = read_table(self.path, self.target, self.features, self.requested_task)
        if self.requested_task is None:
            self.task = "binary" if len(names) == 2 else "multiclass"
        self.declared_class_names = names or None
        header, _ = _read_rows(self.path)
        columns = self.features if self.features is not None else [n for n in header if n != self.target]
        # Taken once, when the rows are read: every checkpoint of the run records the file it trained on.
        self._source = {"columns": columns, "target": self.target, "file": fingerprint(self.path)}
        return x, y

    def fitted_preprocessing(self) -> dict[str, Any]:
        """The scaling, plus the feature columns in order and a fingerprint of the file trained on."""
        fitted = super().fitted_preprocessing()  # reads the file (setup) if it was not read yet
        return {**fitted, **self._source}

    def use_preprocessing(self, preprocessing: dict[str, Any]) -> None:
        """Use the trained model's columns and scaling; warn if the file is not the one it was trained on."""
        super().use_preprocessing(preprocessing)
        if self.features is None and preprocessing.get("columns"):
            self.features = list(preprocessing["columns"])
        then = preprocessing.get("file") or {}
        if self.path.is_file() and then.get("sha256") and fingerprint(self.path)["sha256"] != then["sha256"]:
            log.warning(
                "data.path=%s has changed since the model was trained (it was %s bytes, SHA-256 %s...; now %s "
                "bytes). The scores below are on the file as it is now, split by the same seed; the inputs are "
                "scaled with the training run's statistics.",
                self.path,
                then.get("size"),
                then["sha256"][:12],
                self.path.stat().st_size,
            )
