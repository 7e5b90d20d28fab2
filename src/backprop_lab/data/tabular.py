"""`data=csv`: a CSV table as it comes, text columns, missing cells and ID columns included.

The file is read whole (`csv_file.read_table`), every problem of it is
reported in one message (`columns.check_columns`), and the rows are put in
`split_order` before anything is fitted, so the fill values, categories and
scaling come from the training rows alone (`preprocessing.fit`). The target
holds class labels (text or integers; each distinct value a class, sorted)
or, with `data.task=regression`, numbers.
"""

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch

from backprop_lab.data import preprocessing
from backprop_lab.data.columns import check_columns, feature_columns, file_problems
from backprop_lab.data.csv_file import fingerprint, read_table
from backprop_lab.data.splits import SplitDataModule, split_order, split_sizes
from backprop_lab.data.targets import check_task_name, too_many_classes
from backprop_lab.data.tensors import Split

log = logging.getLogger(__name__)

FITTED = ("columns", "kinds", "fill", "categories", "indicators", "encoded_columns")


def target_values(
    column: pa.ChunkedArray, name: str, task: str | None, max_classes: int
) -> tuple[np.ndarray, list[str], str | None]:
    """Every row's target (class index or value), the class names, and a paragraph if the column cannot be one.

    More distinct labels than `max_classes` are a paragraph too, found before a name is made for each.
    """
    numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
    if task == "regression" and not numeric:
        example = next(v for v in pc.cast(column, pa.string()).to_pylist() if v is not None)
        problem = (
            f"Target column {name!r} holds text such as {example!r}, but data.task=regression predicts numbers. "
            "Leave data.task unset (or multiclass) to predict classes, or correct those cells."
        )
        return np.zeros(0), [], problem
    if not numeric:
        text = pc.cast(column, pa.string()).to_numpy(zero_copy_only=False).astype(str)
        labels, index = np.unique(text, return_inverse=True)
        if problem := too_many_classes(len(labels), max_classes, f"Target column {name!r}"):
            return index.astype(np.float32), [], problem
        return index.astype(np.float32), [str(v) for v in labels], None
    values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    if task == "regression":
        return values, [], None
    odd = np.unique(values[~np.isfinite(values) | (values != np.round(values))])
    if len(odd):
        problem = (
            f"Target column {name!r} holds {', '.join(f'{v:g}' for v in odd[:5])}, which are not class labels. For "
            "a numeric target to predict, set data.task=regression; for classes, use integers or names."
        )
        return values, [], problem
    labels = np.unique(values)
    if problem := too_many_classes(len(labels), max_classes, f"Target column {name!r}"):
        return values, [], problem
    return np.searchsorted(labels, values).astype(np.float32), [f"{v:g}" for v in labels], None


def class_problem(name: str, names: list[str], rows: int, task: str | None) -> str | None:
    if len(names) == 1:
        return (
            f"Target column {name!r} holds only the class {names[0]} in all {rows} rows. A classifier needs examples "
            "of at least two classes to learn anything. Check data.target names the label column, or add rows."
        )
    if task == "binary" and len(names) > 2:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return (
            f"data.task=binary, but the target column {name!r} holds {len(names)} classes ({shown}). Set "
            "data.task=multiclass (or null, to take the task from the labels), or map the labels to two classes."
        )
    return None


class CsvDataModule(SplitDataModule):
    """A CSV table: `target` the label or value column; the features are every other column but IDs and `exclude`.

    `missing`: fill (median / most frequent of the training rows), drop (rows), or error. `na_values`: cells that
    mean missing besides NA, NaN and empty ones. `missing_indicators`: a 0/1 column per column with missing cells.
    `max_one_hot_columns`: the most input columns the text columns' categories may become, checked before the
    inputs are made (`max_classes`, the most classes, is `TensorDataModule`'s).
    """

    def __init__(
        self,
        path: str,
        target: str,
        features: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        task: str | None = None,
        missing: str = "fill",
        missing_indicators: bool = False,
        na_values: Sequence[str] = (),
        separator: str | None = None,
        encoding: str = "utf-8",
        decimal: str = ".",
        max_one_hot_columns: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.requested_task = check_task_name(task, "data.task") if task is not None else None
        if task is not None:
            self.task = task
        self.path, self.target, self.missing = Path(path), target, missing
        # data.features=age (one name, no brackets) arrives as a string: one column, not three letters.
        self.features = [features] if isinstance(features, str) else None if features is None else list(features)
        self.exclude = [exclude] if isinstance(exclude, str) else list(exclude or [])
        self.missing_indicators = missing_indicators
        self.na_values = [str(v) for v in ([na_values] if isinstance(na_values, str) else na_values or [])]
        self.separator, self.encoding, self.decimal = separator, encoding, decimal
        self.max_one_hot_columns = max_one_hot_columns
        self._fitted: dict[str, Any] = {}
        self._fixed: dict[str, Any] | None = None  # a trained model's own preprocessing (eval)
        self._source: dict[str, Any] = {}

    def _checked_rows(self, where: str) -> tuple[pa.Table, list[str], np.ndarray]:
        """The usable rows, the columns' kinds and every row's target; one `DataError` for all the file's problems."""
        table = read_table(self.path, where, self.na_values, self.encoding, self.separator, self.decimal)
        chosen = self._fixed["columns"] if self._fixed else self.features
        self.features = columns = feature_columns(table, self.target, chosen, self.exclude, where)
        kinds, problems = check_columns(table, columns, self.missing, self._fixed["kinds"] if self._fixed else None)
        labelled = table.column(self.target).is_null().to_numpy(zero_copy_only=False)
        if labelled.all():
            problems.append(
                f"Target column {self.target!r} is empty in every row. Set data.target to the label column."
            )
        elif labelled.any() and self.missing == "error":
            line = int(np.flatnonzero(labelled)[0]) + 2
            problems.append(
                f"Target column {self.target!r}: {int(labelled.sum())} empty cell(s), first on line {line}."
            )
        if not labelled.all():  # the target's own problems join the columns', so one run shows them all
            labels = table.column(self.target).filter(pa.array(~labelled))
            _, names, problem = target_values(labels, self.target, self.requested_task, self.max_classes)
            problem = problem or class_problem(self.target, names, int((~labelled).sum()), self.requested_task)
            problems += [problem] if problem else []
        if problems:
            raise file_problems(where, problems)
        keep = ~labelled
        if self.missing == "drop":
            for name in columns:
                keep &= ~table.column(name).is_null().to_numpy(zero_copy_only=False)
        if not keep.all():
            log.info("data=csv: dropped %d of %d rows with a missing target or cell.", int((~keep).sum()), len(keep))
            table = table.filter(pa.array(keep))
        y, names, problem = target_values(table.column(self.target), self.target, self.requested_task, self.max_classes)
        problem = problem or class_problem(self.target, names, len(y), self.requested_task)
        if problem:
            raise file_problems(where, [problem])
        if self.requested_task is None:
            self.task = "binary" if len(names) == 2 else "multiclass"
        self.declared_class_names = names or None
        return table, kinds, y

    def load_in_order(self) -> Split:
        """The rows in split order, encoded with what the training rows alone taught (or the trained model's)."""
        where = f"data.path={str(self.path)!r}"
        table, kinds, y = self._checked_rows(where)
        order = split_order(table.num_rows, self.seed).numpy()
        n_train = split_sizes(table.num_rows, self.val_fraction, self.test_fraction)[0]
        self._fitted = self._fixed or preprocessing.fit(
            table, order[:n_train], self.features, kinds, self.missing_indicators, self.max_one_hot_columns, where
        )
        x = preprocessing.transform(table, self._fitted, rows=order)
        self._source = {"target": self.target, "na_values": self.na_values, "decimal": self.decimal}
        self._source["file"] = fingerprint(self.path)
        return torch.from_numpy(x), torch.from_numpy(y[order].astype(np.float32))

    def fitted_preprocessing(self) -> dict[str, Any]:
        """Scaling, column order, kinds, fill values, categories and indicators, plus the file trained on."""
        fitted = super().fitted_preprocessing()  # reads the file (setup) if it was not read yet
        return {**fitted, **self._fitted, **self._source}

    def use_preprocessing(self, preprocessing: dict[str, Any]) -> None:
        """Encode and scale with the trained model's stored preprocessing; warn if the file changed since."""
        super().use_preprocessing(preprocessing)
        if all(key in preprocessing for key in FITTED):
            self._fixed = {key: preprocessing[key] for key in FITTED}
        then = preprocessing.get("file") or {}
        if self.path.is_file() and then.get("sha256") and fingerprint(self.path)["sha256"] != then["sha256"]:
            log.warning(
                "data.path=%s has changed since the model was trained (it was %s bytes, SHA-256 %s...; now %s "
                "bytes). The scores below are on the file as it is now, split by the same seed; the inputs are "
                "encoded and scaled with the training run's statistics.",
                self.path,
                then.get("size"),
                then["sha256"][:12],
                self.path.stat().st_size,
            )
