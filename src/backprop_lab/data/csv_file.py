"""Reading a CSV file with pyarrow's reader: quoted fields, a BOM, `;` or tab separators, long fields, millions of rows.

The reader is pyarrow's (multi-threaded, in C++); this module is the glue
that turns each way a file can be unusable into a `DataError` naming the
file, what is wrong and the fix. Rows with too many or too few fields are
collected, not raised one at a time, so one message lists them all. A CSV
is data: nothing in it is ever evaluated.
"""

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from backprop_lab.errors import DataError

# Cells that mean "missing" in every file; `data.na_values` adds a file's own markers (e.g. `?`).
MISSING_MARKERS = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A")
SEPARATORS = (",", ";", "\t", "|")
# pyarrow reads in blocks and a field may not straddle one: 16 MiB lets a cell hold 16 million characters.
BLOCK_BYTES = 16 << 20
BAD_ROWS_SHOWN = 5


def _separator(path: Path, encoding: str) -> str:
    """The separator the header line uses most (`,` when it holds none): a `;`-separated file reads without options."""
    with path.open("rb") as f:
        head = f.read(1 << 16).split(b"\n", 1)[0].decode(encoding, errors="replace")
    counts = {sep: head.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=counts.__getitem__)
    return best if counts[best] else ","


def _decode_error(path: Path, where: str, encoding: str) -> DataError | None:
    """The byte offset of the first byte that is not text in `encoding`, as a one-paragraph error (None if it is)."""
    try:
        path.read_bytes().decode(encoding)
    except UnicodeDecodeError as err:
        byte = err.object[err.start : err.start + 4]
        return DataError(
            f"Cannot read {where}: it is not {encoding} text: byte offset {err.start} holds {byte!r} ({err.reason}). "
            f"Save the file as UTF-8, or name its encoding, e.g. data.encoding=latin-1 (or cp1252, utf-16)."
        )
    except LookupError:
        return DataError(f"{where}: data.encoding={encoding!r} is not an encoding Python knows; e.g. utf-8, latin-1.")
    return None


def _bad_rows_error(where: str, width: int, bad: list[tuple[int | None, int, str]]) -> DataError:
    shown = "; ".join(
        f"line {line or '?'}: {count} fields, {text[:60]!r}" for line, count, text in bad[:BAD_ROWS_SHOWN]
    )
    more = f" (and {len(bad) - BAD_ROWS_SHOWN} more)" if len(bad) > BAD_ROWS_SHOWN else ""
    return DataError(
        f"{where}: {len(bad)} row(s) do not have the header's {width} fields: {shown}{more}. Every row needs one "
        'value per column: quote a value that holds the separator ("a, b"), or fix those lines. If the file uses '
        "another separator than the one detected from the header, set data.separator (e.g. data.separator=';')."
    )


def read_table(
    path: str | Path,
    where: str = "",
    na_values: list[str] | tuple[str, ...] = (),
    encoding: str = "utf-8",
    separator: str | None = None,
    decimal: str = ".",
) -> pa.Table:
    """Every row and column of a CSV with a header; cells in `MISSING_MARKERS` or `na_values` are null.

    `where` names the setting the path came from in the messages (default `data.path='...'`).
    """
    path = Path(path)
    where = where or f"data.path={str(path)!r}"
    if not path.exists():
        raise DataError(
            f"Cannot read {where}: the file does not exist (looked in {path.resolve()}). Pass the path of an "
            "existing CSV file, e.g. data.path=data/my_table.csv; a relative path starts from the folder you run from."
        )
    if not path.is_file():
        raise DataError(f"Cannot read {where}: it is a directory, not a file. Pass the path of a CSV file.")
    with path.open("rb") as f:
        start = f.read(1 << 16)
    if not start.strip(b"\xef\xbb\xbf \r\n\t"):
        raise DataError(
            f"Cannot read {where}: the file is empty. It needs a header row with the column names and at least "
            "one data row."
        )
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8") and (
        problem := _decode_error(path, where, encoding)
    ):
        raise problem
    bad: list[tuple[int | None, int, str]] = []

    def skip_and_note(row: Any) -> str:
        bad.append((row.number, row.actual_columns, row.text))
        return "skip"

    options = pacsv.ParseOptions(delimiter=separator or _separator(path, encoding), invalid_row_handler=skip_and_note)
    convert = pacsv.ConvertOptions(
        null_values=[*MISSING_MARKERS, *map(str, na_values)],
        strings_can_be_null=True,
        timestamp_parsers=[],
        decimal_point=decimal,
    )
    try:
        table = pacsv.read_csv(path, pacsv.ReadOptions(block_size=BLOCK_BYTES, encoding=encoding), options, convert)
        if bad:  # the threaded reader does not know the bad rows' line numbers; one thread does
            bad.clear()
            read = pacsv.ReadOptions(block_size=BLOCK_BYTES, encoding=encoding, use_threads=False)
            table = pacsv.read_csv(path, read, options, convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as err:
        decode = _decode_error(path, where, encoding)
        if decode is not None:
            raise decode from None
        if "Empty CSV file" in str(err):
            raise DataError(f"Cannot read {where}: the file is empty. It needs a header row and data rows.") from None
        raise DataError(
            f"Cannot read {where} as CSV: {str(err).splitlines()[0]}. Check that it is a CSV file with a header "
            "row; a single cell may hold at most 16 million characters."
        ) from None
    # pyarrow reads cells that are not valid UTF-8 as bytes: find where, and say so
    if any(pa.types.is_binary(t) or pa.types.is_large_binary(t) for t in table.schema.types):
        raise _decode_error(path, where, encoding) or DataError(f"Cannot read {where}: a column is not text.")
    header = table.column_names
    repeated = sorted(name for name, count in Counter(header).items() if count > 1)  # one pass: 100,000 columns
    if repeated:
        raise DataError(
            f"Cannot read {where}: the header names the column(s) {', '.join(map(repr, repeated))} more than once, "
            "so which one to use is ambiguous. Give every column its own name in the file's first row."
        )
    if bad:
        raise _bad_rows_error(where, len(header), bad)
    if table.num_rows == 0:
        raise DataError(f"Cannot read {where}: it has a header ({', '.join(header)}) but no data rows. Add rows.")
    return table


def fingerprint(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a data file: enough to tell, later, that it is no longer the file trained on."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": digest.hexdigest()}
