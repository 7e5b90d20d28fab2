"""The data's own checks, run once before the first training step, with one-paragraph errors.

Left alone, a NaN in the inputs shows up as "the loss became nan at step 0"
and gets blamed on the learning rate; a label 3 in binary data trains to a
meaningless loss. In-memory data are checked whole (`check_rows`); any other
data module (a fork's own, file-backed) is checked on the first batch of
each loader (`CheckFirstBatches`), which costs one batch.
"""

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import Tensor
from torch.utils.data import DataLoader

from backprop_lab.data.targets import class_names_for, target_problem
from backprop_lab.errors import DataError

FIX = "Fill in or drop those rows (or leave the column out) before training."
# Rows checked at a time: the mask of a million 64-feature rows at once would add a quarter to the data's memory.
CHUNK_ROWS = 65536


def _position(index: tuple[int, ...]) -> str:
    row, *rest = index
    return f"row {row}" + (f", position {tuple(rest) if len(rest) > 1 else rest[0]}" if rest else "")


def check_inputs(x: Any, y: Any, where: str) -> None:
    """Shapes, dtypes and finiteness of one split's (or batch's) inputs and targets."""
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise DataError(
            f"{where}: a batch must be a pair of tensors (x, y), got ({type(x).__name__}, {type(y).__name__}). "
            "Return torch tensors from your Dataset's __getitem__, e.g. (torch.tensor(features), torch.tensor(label))."
        )
    if x.ndim < 2 or y.shape != (x.shape[0],):
        raise DataError(
            f"{where}: inputs must have shape (N, ...) and targets shape (N,), one target per row; got x of shape "
            f"{tuple(x.shape)} and y of shape {tuple(y.shape)}. Flatten a (N, 1) target to (N,), e.g. y.squeeze(1)."
        )
    if x.is_complex():
        raise DataError(f"{where}: inputs must be real numbers, got dtype {x.dtype}.")
    for start in range(0, len(x), CHUNK_ROWS):
        bad = ~torch.isfinite(x[start : start + CHUNK_ROWS].float())
        if bad.any():
            index = tuple(int(i) for i in bad.nonzero()[0])
            index = (index[0] + start, *index[1:])
            raise DataError(
                f"{where}: the inputs hold NaN or infinite values (the first at {_position(index)}: "
                f"{x[index].item()}), or values too large for float32 (above 3.4e38). {FIX} A network fed NaN "
                "learns nothing: the loss would be NaN at the first step."
            )
    if not torch.isfinite(y.float()).all():
        raise DataError(f"{where}: the targets hold NaN or infinite values. {FIX}")


def check_rows(
    splits: dict[str, tuple[Tensor, Tensor]], task: str, names: list[str] | None, where: str, max_classes: int
) -> list[str]:
    """Check every split's rows whole; return the class names the labels of all splits imply (at most `max_classes`)."""
    shapes = {}
    for name in ("train", "val", "test"):
        if name not in splits:
            raise DataError(f"{where}: make_splits() must return train, val and test; {name} is missing.")
        x, y = splits[name]
        check_inputs(x, y, f"{where}, {name} split")
        shapes[name] = tuple(x.shape[1:])
    if len(set(shapes.values())) > 1:
        raise DataError(f"{where}: the splits' rows differ in shape ({shapes}); every split needs rows of one shape.")
    labels = torch.cat([splits[name][1] for name in ("train", "val", "test")])
    return class_names_for(task, labels, names, f"{where} ({task})", max_classes)


def first_batch(loader: DataLoader) -> Any:
    """The first batch a fresh, unshuffled loader over the same dataset gives: the trainer's own order is not drawn.

    The fresh loader has a generator of its own: a `DataLoader` without one draws its workers' seed from torch's
    global generator at every iteration, which would shift every later random draw of the run (dropout, say).
    """
    if isinstance(loader, DataLoader) and not isinstance(loader.dataset, torch.utils.data.IterableDataset):
        size, collate = loader.batch_size or 1, loader.collate_fn
        loader = DataLoader(loader.dataset, batch_size=size, collate_fn=collate, generator=torch.Generator())
    return next(iter(loader), None)


def check_batch(batch: Any, task: str, num_classes: int, where: str) -> None:
    """Check one batch of a loader against the task: an (x, y) pair, finite, labels in range."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise DataError(
            f"{where}: batches must be (x, y) pairs, got a {type(batch).__name__}. "
            "Return (inputs, target) from your Dataset's __getitem__."
        )
    x, y = batch
    check_inputs(x, y, where)
    problem = target_problem(task, y.float(), num_classes)
    if problem:
        raise DataError(f"{where} ({task}): {problem}")


class CheckFirstBatches(Callback):
    """Checks the first batch of the train and val loaders once, before the first training step.

    For any data module: in-memory data are checked whole when they are built
    (`check_rows`); a fork's own `Dataset` is checked here at the cost of one batch.
    """

    def __init__(self, task: str, num_classes: int) -> None:
        self.task, self.num_classes = task, num_classes

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        loaders = {"train": trainer.train_dataloader, "val": trainer.val_dataloaders}
        for stage, loader in loaders.items():
            for one in loader if isinstance(loader, (list, tuple)) else [loader]:
                if isinstance(one, DataLoader):
                    batch = first_batch(one)
                    where = f"{type(trainer.datamodule).__name__}, first {stage} batch"
                    if batch is None:
                        raise DataError(f"{where}: the {stage} loader gives no batch at all; every split needs rows.")
                    check_batch(batch, self.task, self.num_classes, where)


def input_shape_of(datamodule: Any) -> tuple[int, ...]:
    """One input row's shape: the data module's `input_shape`, or else that of its first training batch."""
    shape = getattr(datamodule, "input_shape", None)
    if shape is not None:
        return tuple(shape)
    datamodule.prepare_data()  # a data module without `input_shape` is read once here, before the Trainer does
    datamodule.setup("fit")
    batch = first_batch(datamodule.train_dataloader())
    return tuple(batch[0].shape[1:])
