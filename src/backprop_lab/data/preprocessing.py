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
BLOCK_ROWS = 4096  # rows written together: a block of the input matrix stays in the CPU's cache


def _numbers(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column if pa.types.is_string(column.type) else pc.cast(column, pa.string())


def check_one_hot_width(train_text: dict[str, pa.ChunkedArray], max_columns: int, where: str) -> None:
    """Refuse text columns whose categories make more than `max_columns` input columns, before any is listed.

    `train_text`: each text column's training cells. Each category is an input column of every row: 60,000
    categories in 100,000 rows asked for 24 GB, and the process was killed for memory with no word of why.
    """
    counts = {name: max(pc.count_distinct(cells).as_py(), 1) for name, cells in train_text.items()}
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
    table: pa.Table,
    rows: np.ndarray,
    columns: Sequence[str],
    kinds: Sequence[str],
    indicators: bool,
    max_one_hot_columns: int,
    where: str,
) -> dict[str, Any]:
    """What to fill, encode and flag for each column, from the training rows alone (`table`'s rows at `rows`).

    Each column is gathered on its own: reordering the whole table first would copy every column, text included.
    Text columns with more categories than `max_one_hot_columns` in all are refused first (`check_one_hot_width`).
    """
    picked = pa.array(rows)
    texts = [name for name, kind in zip(columns, kinds, strict=True) if kind == "text"]
    train_text = {name: _text(table.column(name)).take(picked) for name in texts}
    check_one_hot_width(train_text, max_one_hot_columns, where)
    fill: list[Any] = []
    categories: dict[str, list[str]] = {}
    flagged: list[str] = []
    for name, kind in zip(columns, kinds, strict=True):
        column = table.column(name)
        if indicators and column.null_count and column.is_null().to_numpy(zero_copy_only=False)[rows].any():
            flagged.append(name)
        if kind == "number":
            values = _numbers(column)[rows]
            fill.append(float(np.nanmedian(values)) if not np.isnan(values).all() else 0.0)
            continue
        counts = pc.value_counts(train_text[name].drop_null()).to_pylist()
        seen = sorted(c["values"] for c in counts)
        # the most frequent value; ties go to the first in sorted order, as scikit-learn's SimpleImputer does
        fill.append(min(counts, key=lambda c: (-c["counts"], c["values"]))["values"] if counts else "")
        categories[name] = seen or [""]
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


def transform(table: pa.Table, fitted: dict[str, Any], rows: np.ndarray | None = None) -> np.ndarray:
    """`table`'s rows (those at `rows`, in that order, if given) as float32 model inputs before scaling.

    Filled, one-hot encoded and flagged with what `fit` learned. Each input column is computed whole, then the
    matrix is written a block of rows at a time: writing a row-major matrix one column at a time strides through
    all of it once per column, about ten times slower on a million rows.
    """
    picked = slice(None) if rows is None else rows
    values: list[tuple[int, np.ndarray]] = []  # (input column, value of every row)
    one_hot: list[tuple[int, np.ndarray]] = []  # (first input column, each row's category index, -1 for unseen)
    at = 0
    for name, kind, fill in zip(fitted["columns"], fitted["kinds"], fitted["fill"], strict=True):
        column = table.column(name)
        if kind == "number":
            number = _numbers(column)[picked]
            values.append((at, np.where(np.isnan(number), fill, number).astype(np.float32)))
            at += 1
            continue
        categories = fitted["categories"][name]
        found = pc.index_in(pc.fill_null(_text(column), fill), value_set=pa.array(categories, pa.string()))
        unseen = found.is_null().to_numpy(zero_copy_only=False)
        if unseen.any():
            log.warning(
                "Column %r: %d row(s) hold a category the training rows never had (e.g. %r); they are encoded as "
                "all zeros (no category).",
                name,
                int(unseen.sum()),
                _text(column)[int(np.flatnonzero(unseen)[0])].as_py(),
            )
        one_hot.append((at, pc.fill_null(found, -1).to_numpy(zero_copy_only=False)[picked]))
        at += len(categories)
    for name in fitted["indicators"]:
        values.append((at, table.column(name).is_null().to_numpy(zero_copy_only=False)[picked].astype(np.float32)))
        at += 1
    out = np.zeros((table.num_rows if rows is None else len(rows), at), dtype=np.float32)
    for start in range(0, len(out), BLOCK_ROWS):
        block = out[start : start + BLOCK_ROWS]
        for j, column_values in values:
            block[:, j] = column_values[start : start + BLOCK_ROWS]
        for first, index in one_hot:
            index = index[start : start + BLOCK_ROWS]
            seen = np.flatnonzero(index >= 0)
            block[seen, first + index[seen]] = 1.0
    return out
