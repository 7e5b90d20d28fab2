"""Any numeric CSV file with a 0/1 target column: `data=csv data.path=... data.target=...`.

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

from backprop_lab.data.errors import DataError
from backprop_lab.data.splits import SplitDataModule
from backprop_lab.data.tensors import Split

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


def read_csv(path: Path, target: str, features: Sequence[str] | None = None) -> Split:
    """Read `features` (default: every column but the target) and the 0/1 `target` as tensors."""
    where = f"data.path={str(path)!r}"
    header, rows = _read_rows(path)
    target_index = _column_index(header, target, "data.target", where)
    names = list(features) if features is not None else [name for name in header if name != target]
    if not names:
        raise DataError(f"{where}: no feature columns left besides the target {target!r}. Add feature columns.")
    if target in names:
        raise DataError(f"data.features lists the target column {target!r} as a feature. Remove it from the list.")
    indices = [_column_index(header, name, "data.features", where) for name in names]

    x, y = [], []
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{where}, line {line}: {len(row)} fields where the header has {len(header)}. "
                "Every row needs one value per column."
            )
        x.append([_number(row[i], line, header[i], where) for i in indices])
        y.append(_number(row[target_index], line, target, where))

    labels = torch.tensor(y)
    bad = sorted({v for v in y if v not in (0.0, 1.0)})
    if bad:
        shown = ", ".join(f"{v:g}" for v in bad[:5]) + (", ..." if len(bad) > 5 else "")
        raise DataError(
            f"{where}: the target column {target!r} must hold only 0 and 1, but it also holds {shown}. "
            "Map the two classes to 0 and 1 (this template trains binary classifiers)."
        )
    if len(set(y)) < 2:
        raise DataError(
            f"{where}: the target column {target!r} holds only the class {y[0]:g} in all {len(y)} rows. A classifier "
            "needs examples of both classes (0 and 1) to learn anything, and its accuracy and AUROC would mean "
            "nothing. Check data.target names the label column, or add rows of the other class."
        )
    return torch.tensor(x), labels


def fingerprint(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a data file: enough to tell, later, that it is no longer the file trained on."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": digest.hexdigest()}


class CsvDataModule(SplitDataModule):
    """A numeric CSV table: `target` is the 0/1 label, `features` the input columns (default: all others)."""

    def __init__(self, path: str, target: str, features: Sequence[str] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self.target = target
        # data.features=age (one name, no brackets) arrives as a string: one column, not three letters.
        self.features = [features] if isinstance(features, str) else None if features is None else list(features)
        self._source: dict[str, Any] = {}

    def load(self) -> Split:
        split = read_csv(self.path, self.target, self.features)
        header, _ = _read_rows(self.path)
        columns = self.features if self.features is not None else [n for n in header if n != self.target]
        # Taken once, when the rows are read: every checkpoint of the run records the file it trained on.
        self._source = {"columns": columns, "target": self.target, "file": fingerprint(self.path)}
        return split

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
