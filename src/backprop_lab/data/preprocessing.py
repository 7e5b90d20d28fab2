"""The preprocessing of a table's feature columns, fitted on the training rows and kept as plain data.

`fit` learns, from the training rows only: each number column's median
(its fill for missing cells), each text column's categories and most
frequent value (its fill), and which columns get a missing-indicator column.
`transform` applies it to any rows (val, test, a file to predict on) without
learning anything from them. A category that the training rows never had
becomes an all-zeros one-hot row, said once per column in the log: the
model has no weight for it, and guessing one would be a silent lie.
The fitted dict is lists, strings and numbers, so a checkpoint stores it as is.
"""

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from backprop_lab.errors import DataError

log = logging.getLogger(__name__)


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())


def check_one_hot_width(
    train: pa.Table, columns: Sequence[str], kinds: Sequence[str], max_columns: int, where: str
) -> None:
    """Refuse text columns whose categories make more than `max_columns` input columns, before any is listed.

    Each category is an input column of every row: 60,000 categories in 100,000 rows asked for 24 GB, and the
    process was killed for memory with no word of why.
    """
    texts = [name for name, kind in zip(columns, kinds, strict=True) if kind == "text"]
    counts = {name: max(pc.count_distinct(_text(train.column(name))).as_py(), 1) for name in texts}
    total = sum(counts.values())
    if total <= max_columns:
        return
    largest = sorted(counts, key=counts.__getitem__, reverse=True)
    shown = ", ".join(f"{name!r} {counts[name]:,}" for name in largest[:3])
    raise DataError(
        f"{where}: one-hot encoding the text columns would make {total:,} input columns (one per category in the "
        f"training rows), more than data.max_one_hot_columns={max_columns}. Categories per column, most first: "
        f"{shown}. A column with nearly one value per row (a name, a code, free text) teaches the network nothing "
        f"it can use on new rows: leave it out, e.g. data.exclude=[{largest[0]}]. If the categories are right, "
        f"raise the limit, e.g. data.max_one_hot_columns={total}."
    )


def fit(
    train: pa.Table,
    columns: Sequence[str],
    kinds: Sequence[str],
    indicators: bool,
    max_one_hot_columns: int,
    where: str,
) -> dict[str, Any]:
    """What to fill, encode and flag for each column, from the training rows `train` alone.

    Text columns with more categories than `max_one_hot_columns` in all are refused first (`check_one_hot_width`).
    """
    check_one_hot_width(train, columns, kinds, max_one_hot_columns, where)
    fill: list[Any] = []
    categories: dict[str, list[str]] = {}
    for name, kind in zip(columns, kinds, strict=True):
        column = train.column(name)
        if kind == "number":
            values = _numbers(column)
            fill.append(float(np.nanmedian(values)) if not np.isnan(values).all() else 0.0)
            continue
        counts = pc.value_counts(_text(column).drop_null()).to_pylist()
        seen = sorted(c["values"] for c in counts)
        # the most frequent value; ties go to the first in sorted order, as scikit-learn's SimpleImputer does
        fill.append(min(counts, key=lambda c: (-c["counts"], c["values"]))["values"] if counts else "")
        categories[name] = seen or [""]
    flagged = [name for name in columns if indicators and train.column(name).null_count > 0]
    return {
        "columns": list(columns),
        "kinds": list(kinds),
        "fill": fill,
        "categories": categories,
        "indicators": flagged,
        "encoded_columns": encoded_columns(list(columns), list(kinds), categories, flagged),
    }


def encoded_columns(
    columns: list[str], kinds: list[str], categories: dict[str, list[str]], indicators: list[str]
) -> list[str]:
    """The names of the model's input columns: a number as itself, a text column as `name=category` each."""
    names: list[str] = []
    for name, kind in zip(columns, kinds, strict=True):
        names.extend([name] if kind == "number" else [f"{name}={c}" for c in categories[name]])
    return names + [f"{name} (missing)" for name in indicators]


def transform(table: pa.Table, fitted: dict[str, Any]) -> np.ndarray:
    """The rows of `table` as float32 model inputs (before scaling): filled, one-hot encoded, flagged."""
    out = np.zeros((table.num_rows, len(fitted["encoded_columns"])), dtype=np.float32)
    at = 0
    for name, kind, fill in zip(fitted["columns"], fitted["kinds"], fitted["fill"], strict=True):
        column = table.column(name)
        if kind == "number":
            values = _numbers(column)
            out[:, at] = np.where(np.isnan(values), fill, values)
            at += 1
            continue
        categories = fitted["categories"][name]
        index = pc.index_in(pc.fill_null(_text(column), fill), value_set=pa.array(categories, pa.string()))
        index = index.to_numpy(zero_copy_only=False)
        unseen = np.isnan(index) if index.dtype.kind == "f" else np.zeros(len(index), bool)
        if unseen.any():
            example = _text(column)[int(np.flatnonzero(unseen)[0])].as_py()
            log.warning(
                "Column %r: %d row(s) hold a category the training rows never had (e.g. %r); they are encoded as "
                "all zeros (no category).",
                name,
                int(unseen.sum()),
                example,
            )
        rows = np.flatnonzero(~unseen)
        out[rows, at + index[~unseen].astype(np.int64)] = 1.0
        at += len(categories)
    for name in fitted["indicators"]:
        out[:, at] = table.column(name).is_null().to_numpy(zero_copy_only=False)
        at += 1
    return out
