"""The in-memory data module every small data set shares: tensors in, `DataLoader`s out.

Rows that fit in memory live in two tensors. `TensorRows` is a map-style
`Dataset` over them that hands the `DataLoader` a whole batch at once
(`__getitems__`, one indexing per batch instead of one `__getitem__` per row
and a `torch.stack`), so a batch of 256 rows costs about what one row would.
Everything else is a plain `DataLoader`: `shuffle`, `num_workers`,
`pin_memory`, and under DDP Lightning's own `DistributedSampler`.
"""

import math
from collections.abc import Iterator
from typing import Any

import lightning as L
import torch
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, Sampler, SequentialSampler

from backprop_lab.data.checks import check_rows

Split = tuple[Tensor, Tensor]
SPLITS = ("train", "val", "test")


class TensorRows(Dataset):
    """Rows `(x[i], y[i])` of two aligned tensors.

    A `DataLoader` asks `__getitems__` for a whole batch of indices and gets
    the batch back already stacked; `collate_fn=stacked` passes it on as it is.
    """

    def __init__(self, x: Tensor, y: Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> Split:
        return self.x[index], self.y[index]

    def __getitems__(self, indices: list[int]) -> Split:
        return self.x[indices], self.y[indices]


def stacked(batch: Split) -> Split:
    """The `collate_fn` for `TensorRows`: its batches come stacked already."""
    return batch


class Passes(BatchSampler):
    """`BatchSampler`'s batches, `passes` times over the sampler's order: an epoch of several passes.

    A `BatchSampler` with a sampler inside, so under DDP Lightning rebuilds it
    around its `DistributedSampler`: each pass is then over the process's
    share, and a full batch stays one step on all rows across the processes.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False, passes: int = 1) -> None:
        super().__init__(sampler, batch_size, drop_last)
        self.passes = passes

    def __iter__(self) -> Iterator[list[int]]:
        for _ in range(self.passes):
            yield from super().__iter__()

    def __len__(self) -> int:
        return self.passes * super().__len__()


class TensorDataModule(L.LightningDataModule):
    """Base for data sets held as tensors: subclasses implement `make_splits`.

    `make_splits` returns `{"train": (x, y), "val": ..., "test": ...}` with
    `x` of shape (N, ...) (rows of features, images (N, C, H, W), sequences)
    and `y` of shape (N,): 0/1 for the binary task, 0..C-1 for C classes,
    values for regression. `task` declares which (see `data/targets.py`);
    `declared_class_names` may name the classes. The splits are checked once
    (`data/checks.py`) before any loader hands out a batch.

    `batch_size=None` is full batch: every training step sees every row (under
    DDP, each process its share). A training epoch is `passes_per_epoch`
    passes over the train split: tiny data sets such as XOR take many
    full-batch steps per epoch, so the per-epoch work (validation, checkpoint,
    logging) is paid once per `passes_per_epoch` steps. Shuffling draws from
    a generator seeded with `seed` whose state goes into every checkpoint
    (`state_dict`), so a resumed run sees the batches an uninterrupted one would.
    Labels that make more than `max_classes` classes are refused before a class is named (`data/targets.py`).
    """

    task = "binary"
    declared_class_names: list[str] | None = None

    def __init__(
        self,
        batch_size: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        passes_per_epoch: int = 1,
        num_workers: int = 0,
        pin_memory: bool = False,
        persistent_workers: bool = False,
        max_classes: int = 1000,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.passes_per_epoch = passes_per_epoch
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.persistent_workers = persistent_workers
        self.max_classes = max_classes
        self.generator = torch.Generator().manual_seed(seed)
        self._splits: dict[str, Split] | None = None
        self._class_names: list[str] = []

    def make_splits(self) -> dict[str, Split]:
        raise NotImplementedError(f"{type(self).__name__} must implement make_splits()")

    def setup(self, stage: str | None = None) -> None:
        """Build and check the splits once, before any loader asks for them."""
        if self._splits is not None:
            return
        splits = {name: (x.float(), y.float()) for name, (x, y) in self.make_splits().items()}
        where = type(self).__name__
        self._class_names = check_rows(splits, self.task, self.declared_class_names, where, self.max_classes)
        self._splits = splits

    @property
    def class_names(self) -> list[str]:
        """The names of the classes, index order (empty for regression)."""
        self.setup()
        return self._class_names

    @property
    def num_classes(self) -> int:
        """Number of classes (2 for binary, 0 for regression); a multi-class model's output width."""
        return len(self.class_names)

    @property
    def target_scale(self) -> tuple[float, float] | None:
        """A regression target's (mean, std) used to standardise it for training; None when not scaled."""
        return None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input row; the network is sized from it."""
        return tuple(self.splits["train"][0].shape[1:])

    @property
    def splits(self) -> dict[str, Split]:
        """The rows of each split (train, val, test) as `(x, y)` tensors."""
        self.setup()
        return self._splits

    def prepare_inputs(self, x: Tensor) -> Tensor:
        """Raw input rows as the model saw its training rows; data sets that rescale their rows override it."""
        return x

    def loader(self, name: str, shuffle: bool = False, passes: int = 1) -> DataLoader:
        """A `DataLoader` over split `name`; `passes` > 1 goes over it that many times (see `Passes`)."""
        rows = TensorRows(*self.splits[name])
        world_size = self.trainer.world_size if self.trainer is not None else 1
        batch_size = self.batch_size or max(math.ceil(len(rows) / world_size), 1)
        # One batch a pass holds every row: its averaged gradient is the same in any order, so no shuffling.
        shuffle = shuffle and batch_size < len(rows)
        options: dict[str, Any] = {"collate_fn": stacked, "pin_memory": self.pin_memory}
        if self.num_workers:
            options.update(num_workers=self.num_workers, persistent_workers=self.persistent_workers)
        if passes > 1:
            order = RandomSampler(rows, generator=self.generator) if shuffle else SequentialSampler(rows)
            return DataLoader(rows, batch_sampler=Passes(order, batch_size, passes=passes), **options)
        generator = self.generator if shuffle else None
        return DataLoader(rows, batch_size=batch_size, shuffle=shuffle, generator=generator, **options)

    def train_dataloader(self) -> DataLoader:
        return self.loader("train", self.shuffle, self.passes_per_epoch)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self.loader("test")

    def state_dict(self) -> dict[str, Tensor]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state_dict: dict[str, Tensor]) -> None:
        self.generator.set_state(state_dict["generator"])
