"""What the data declare about their targets, and the check that the labels fit the declared task.

Every data module states its task (`binary`, `multiclass` or `regression`),
its number of classes and the class names. Labels that do not fit (0/1/2
declared binary, fractional labels for a classifier, one class only, NaN or
inf anywhere) stop the run before training with a `DataError`: left alone,
a binary model trains on them to a meaningless loss and reports success.
"""

import torch
from torch import Tensor

from backprop_lab.errors import DataError
from backprop_lab.models.tasks import TASK_NAMES


def _shown(values: list[float]) -> str:
    return ", ".join(f"{v:g}" for v in values[:5]) + (", ..." if len(values) > 5 else "")


def check_task_name(task: str, where: str) -> str:
    if task not in TASK_NAMES:
        raise DataError(
            f"{where}={task!r} is not a task: allowed are {', '.join(TASK_NAMES)}, e.g. {where}=multiclass."
        )
    return task


def too_many_classes(count: int, max_classes: int, where: str) -> str | None:
    """A paragraph if `count` classes are more than `data.max_classes`, else None.

    Checked before anything of the classes' size is made: a classifier holds an output, a weight row and metric
    state per class, and 10,000 classes ran for minutes without a word (a million: out of memory).
    """
    if count <= max_classes:
        return None
    return (
        f"{where}: the labels make {count:,} classes, more than data.max_classes={max_classes}. A classifier holds "
        "an output, a weight row and metric state for every class; this many would take very long or run out of "
        "memory. If the target holds numbers to predict rather than classes, use the regression task "
        "(data.task=regression with data=csv); if the classes are right, raise the limit, e.g. "
        f"data.max_classes={count}."
    )


def class_names_for(task: str, y: Tensor, names: list[str] | None, where: str, max_classes: int) -> list[str]:
    """The class names of labels `y` (all rows) for `task`; a `DataError` if the labels do not fit it.

    More classes than `max_classes` are refused before their names are made (see `too_many_classes`).
    """
    if not torch.isfinite(y).all():
        raise DataError(
            f"{where}: the targets hold NaN or inf values. Fill in or drop those rows before training; a loss on "
            "them is NaN and nothing is learned."
        )
    if task == "regression":
        if len(y) > 1 and bool((y == y[0]).all()):
            raise DataError(f"{where}: the regression target is {float(y[0]):g} in every row: nothing to learn.")
        return []
    # Reductions over the tensor, not a Python set of its values: a million labels as Python floats took 40 MB.
    not_class = (y < 0) | (y != y.trunc())
    if not_class.any():
        raise DataError(
            f"{where}: a classifier needs class labels 0, 1, 2, ... but the targets hold "
            f"{_shown(torch.unique(y[not_class]).tolist())}. "
            "For a numeric target to predict, use the regression task (data.task=regression with data=csv)."
        )
    low, high = (float(v) for v in torch.aminmax(y)) if len(y) else (0.0, 0.0)
    if task == "binary" and high > 1:
        raise DataError(
            f"{where}: the data are declared binary (labels 0 and 1) but the targets hold "
            f"{_shown(torch.unique(y).tolist())}. "
            "For more than two classes use the multi-class task (data.task=multiclass with data=csv, or "
            "data.num_classes=3 for blobs and spirals)."
        )
    count = 2 if task == "binary" else len(names) if names else int(high) + 1
    if problem := too_many_classes(count, max_classes, where):
        raise DataError(problem)
    if high >= count:
        raise DataError(f"{where}: labels run up to {high:g}, but the data declare {count} classes.")
    if low == high:
        raise DataError(
            f"{where}: every target is the class {low:g}. A classifier needs examples of at least two "
            "classes to learn anything, and its accuracy and AUROC would mean nothing."
        )
    return list(names) if names else [str(i) for i in range(count)]


def target_problem(task: str, y: Tensor, num_classes: int) -> str | None:
    """What is wrong with a batch of labels for `task` with `num_classes` classes, or None (regression: nothing)."""
    if task == "regression" or len(y) == 0:
        return None
    not_class = (y < 0) | (y != y.trunc())
    if not_class.any():
        return (
            f"a classifier needs class labels 0 to {num_classes - 1}, but the targets hold "
            f"{_shown(torch.unique(y[not_class]).tolist())}. For a numeric target, declare the regression task."
        )
    high = float(y.max())
    if high >= num_classes:
        return (
            f"labels run up to {high:g}, but the data declare {num_classes} classes (labels 0 to {num_classes - 1}). "
            "Declare the right number of classes (the data module's num_classes), or fix the labels."
        )
    return None
