"""Which columns of a table are features, what kind each is, and every problem of the file in one message.

A column is a number or text (one-hot encoded). ID columns (named like an
ID, or, in a table of 20 rows or more, a text column with one distinct value
per row or an integer column numbering the rows) carry no
pattern to learn and are left out unless `data.features` names them. The
checks collect every bad column before raising, one paragraph per column,
so one run shows all there is to fix.
"""

import logging
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from backprop_lab.errors import DataError

log = logging.getLogger(__name__)

ID_NAMES = {"", "id", "index", "rownames", "row.names", "row_names", "rowid", "row_id", "unnamed: 0"}
NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
DECIMAL_COMMA = r"^\s*[-+]?\d*,\d+\s*$"
MISSING_MODES = ("fill", "drop", "error")
# Below this many rows, one distinct value per row is too likely by chance to call a column an ID.
ID_MIN_ROWS = 20


def _line(mask: np.ndarray) -> int:
    """The file line of the first row where `mask` holds: the header is line 1."""
    return int(np.flatnonzero(mask)[0]) + 2


def _is_id(table: pa.Table, name: str) -> bool:
    if name.strip().lower() in ID_NAMES or name.lower().endswith("_id"):
        return True
    column = table.column(name)
    if table.num_rows < ID_MIN_ROWS or column.null_count or pc.count_distinct(column).as_py() < table.num_rows:
        return False
    if pa.types.is_integer(column.type):  # a row number: the values run 1..n (or 0..n-1) in some order
        low, high = pc.min_max(column).values()
        return high.as_py() - low.as_py() == table.num_rows - 1
    return pa.types.is_string(column.type)


def feature_columns(
    table: pa.Table, target: str, features: Sequence[str] | None, exclude: Sequence[str], where: str
) -> list[str]:
    """`features` as given, or every column but the target, the `exclude`d and ID columns (said in one line)."""
    header = table.column_names
    named = [*(features or []), *exclude, target]
    for field, names in (("data.target", [target]), ("data.features", features or []), ("data.exclude", exclude)):
        for name in names:
            if name not in header:
                raise DataError(
                    f"{where} has no column {name!r} ({field}={name!r}). Its columns are: {', '.join(header)}. "
                    f"Set {field} to one of them."
                )
    if features is not None:
        if target in features:
            raise DataError(f"data.features lists the target column {target!r} as a feature. Remove it from the list.")
        return list(features)
    rest = [name for name in header if name not in named]
    ids = [name for name in rest if _is_id(table, name)]
    if ids:
        log.info(
            "data=csv: left out the ID column(s) %s (named like an ID, or one distinct value per row); "
            "data.features=[...] picks the columns yourself.",
            ", ".join(map(repr, ids)),
        )
    columns = [name for name in rest if name not in ids]
    if not columns:
        raise DataError(f"{where}: no feature columns left besides the target {target!r}. Add feature columns.")
    return columns


def kind_and_problem(table: pa.Table, name: str, missing: str, trained: bool = False) -> tuple[str, str | None]:
    """'number' or 'text' for the column, and a paragraph about what is wrong with it (None when nothing).

    `trained`: the rows meet a trained model's preprocessing, which fills a column empty in every row.
    """
    column = table.column(name)
    kind = column.type
    if pa.types.is_null(kind) or column.null_count == len(column):
        empty = f"Column {name!r} is empty in every row. Leave it out with data.exclude=[{name}]."
        return "number", None if trained else empty
    # Arrow counts the missing cells and looks for infinities itself; rows are turned into arrays for NumPy only
    # to name a line, or for a text column's test of which cells read as numbers.
    nulls = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else np.zeros(len(column), bool)
    if missing == "error" and column.null_count:
        return "number", (
            f"Column {name!r}: {column.null_count} missing cell(s), the first on line {_line(nulls)}. "
            "data.missing=fill fills them from the training rows (median, or most frequent text); "
            "data.missing=drop drops those rows; or fill them in the file."
        )
    if pa.types.is_integer(kind):
        return "number", None
    if pa.types.is_floating(kind):
        if pc.any(pc.is_inf(column)).as_py():
            values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
            infinite = np.isinf(values)
            return "number", (
                f"Column {name!r}: {int(infinite.sum())} infinite value(s), the first on line {_line(infinite)} "
                f"({values[infinite][0]:g}). Replace them with numbers, or mark them as missing: "
                f"data.na_values=[{values[infinite][0]:g}]."
            )
        return "number", None
    text = pc.cast(column, pa.string())
    numeric = pc.fill_null(pc.match_substring_regex(text, NUMBER), False).to_numpy(zero_copy_only=False) & ~nulls
    if numeric.sum() * 2 < (~nulls).sum():
        comma = pc.fill_null(pc.match_substring_regex(text, DECIMAL_COMMA), False).to_numpy(zero_copy_only=False)
        if (comma | numeric | nulls).all() and comma.any():
            example = text[int(np.flatnonzero(comma)[0])].as_py()
            return "number", (
                f"Column {name!r} holds numbers written with a decimal comma, such as {example!r} on line "
                f"{_line(comma)}: set data.decimal=',' to read them as numbers (and data.separator=';' if the "
                "file's fields are separated by semicolons)."
            )
        return "text", None
    words = ~numeric & ~nulls
    example = text[int(np.flatnonzero(words)[0])].as_py()
    return "number", (
        f"Column {name!r} holds numbers, but {int(words.sum())} cell(s) are not numbers, the first on line "
        f"{_line(words)}: {example!r}. If {example!r} marks a missing value, add it to the missing markers: "
        f"data.na_values=[{example}]; else correct those cells, or leave the column out with data.exclude=[{name}]."
    )


def check_columns(
    table: pa.Table, columns: Sequence[str], missing: str, trained_kinds: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """Each column's kind, and a paragraph for each bad column (see `file_problems`).

    `trained_kinds`: a trained model's kinds, which the columns keep; text where it learned numbers is refused.
    """
    if missing not in MISSING_MODES:
        raise DataError(f"data.missing={missing!r} is not allowed: use one of {', '.join(MISSING_MODES)}.")
    kinds, problems = [], []
    for i, name in enumerate(columns):
        kind, problem = kind_and_problem(table, name, missing, trained_kinds is not None)
        if trained_kinds is not None:
            if trained_kinds[i] == "number" and kind == "text":
                problem = f"Column {name!r} holds text, but the model was trained on numbers in it. Correct the column."
            kind = trained_kinds[i]
        kinds.append(kind)
        if problem:
            problems.append(problem)
    return kinds, problems


def file_problems(where: str, problems: list[str]) -> DataError:
    """One error for all the problems of a file: a line that says how many, then one paragraph each."""
    return DataError(
        f"{where} has {len(problems)} problem(s); fix them all, then run again.\n\n" + "\n\n".join(problems)
    )
