"""The in-memory data module every small data set shares.

Small tabular data fits in one tensor, so batches are cut by slicing (or by
indexing with a shuffled permutation) instead of going through a
`DataLoader`'s per-sample `__getitem__` and collation. Lightning accepts any
iterable with a length as a loader; the saving is most of a step on XOR.

Because these loaders are not `DataLoader`s, Lightning cannot slip a
`DistributedSampler` in under DDP: the data module shards the rows by rank
itself (see `TensorBatches`), or every process would train on every row.
"""

import math
from collections.abc import Iterator

import lightning as L
import torch
from torch import Tensor

from backprop_lab.data.targets import class_names_for

Split = tuple[Tensor, Tensor]
SPLITS = ("train", "val", "test")


def permutation(n: int, generator: torch.Generator) -> Tensor:
    """`torch.randperm(n)` as int32 where `n` fits: the same draws, half the memory (held through a whole pass)."""
    return torch.randperm(n, generator=generator, dtype=torch.int32 if n < 2**31 else torch.int64)


class TensorBatches:
    """Iterable of `(x, y)` batches over two aligned tensors, or over one process's share of them.

    `batch_size=None` means full batch. One iteration (a Lightning epoch) is
    `passes` passes over the data: tiny data sets such as XOR take many
    full-batch steps per epoch, so the per-epoch work (validation,
    checkpoint, logging) is paid once per `passes` steps instead of every
    step. With `shuffle`, every pass draws a new permutation from a generator
    seeded with `seed + pass number`, so a resumed run sees the same order as
    an uninterrupted one.

    Under DDP (`world_size > 1`) process `rank` takes every `world_size`-th
    row of that order, like `DistributedSampler`, and full batch means its
    whole share: the processes together still take one step per pass over all
    rows. `pad=True` (training) repeats rows from the start of the order until
    every process has as many rows, hence as many steps: DDP all-reduces the
    gradients at every step, and a process with a step fewer would leave the
    others waiting forever. `pad=False` (evaluation) scores each row exactly
    once; shares differ by at most one row, which is harmless since
    evaluation steps exchange nothing and torchmetrics gathers uneven states.
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        batch_size: int | None,
        shuffle: bool,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        pad: bool = False,
        passes: int = 1,
    ) -> None:
        n = len(x)
        self.rank, self.world_size, self.pad = rank, world_size, pad
        self.rows = math.ceil(n / world_size) if pad else len(range(rank, n, world_size))
        self.batch_size = batch_size or max(math.ceil(n / world_size), 1)
        self.batches_per_pass = math.ceil(self.rows / self.batch_size)
        # A pass that is one batch per process needs no shuffling: which rows land
        # in it does not change the averaged gradient. Unless padding repeats
        # rows: then which ones it repeats should change from epoch to epoch.
        repeats = pad and n % world_size != 0
        self.shuffle = shuffle and (self.batches_per_pass > 1 or repeats)
        if world_size > 1 and not self.shuffle:
            # The share never changes: cut it once, so every pass is plain slicing.
            share = self._share(torch.arange(n))
            x, y = x[share], y[share]
        self.x, self.y = x, y
        self.seed = seed
        self.passes = passes
        self.passes_done = 0

    def _share(self, order: Tensor) -> Tensor:
        """This process's rows of `order`, padded to equal shares when `pad`."""
        total = self.rows * self.world_size
        if self.pad and len(order) < total:
            order = order.repeat(math.ceil(total / len(order)))[:total]
        return order[self.rank :: self.world_size]

    def __len__(self) -> int:
        return self.passes * self.batches_per_pass

    def __iter__(self) -> Iterator[Split]:
        for _ in range(self.passes):
            yield from self._one_pass()

    def _one_pass(self) -> Iterator[Split]:
        size = self.batch_size
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self.passes_done)
            order = permutation(len(self.x), generator)
            if self.world_size > 1:
                order = self._share(order)
            self.passes_done += 1
            for start in range(0, len(order), size):
                idx = order[start : start + size]
                yield self.x[idx], self.y[idx]
        else:
            for start in range(0, len(self.x), size):
                yield self.x[start : start + size], self.y[start : start + size]


class TensorDataModule(L.LightningDataModule):
    """Base for data sets held as tensors: subclasses implement `make_splits`.

    `make_splits` returns `{"train": (x, y), "val": ..., "test": ...}` with
    `x` float of shape (N, features) and `y` float of shape (N,): 0/1 for
    the binary task, 0..C-1 for C classes, values for regression. `task`
    declares which (see `data/targets.py`); `declared_class_names` may name
    the classes. A training epoch is `passes_per_epoch` passes over the
    train split.
    """

    task = "binary"
    declared_class_names: list[str] | None = None

    def __init__(
        self, batch_size: int | None = None, shuffle: bool = True, seed: int = 0, passes_per_epoch: int = 1
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.passes_per_epoch = passes_per_epoch
        self.shuffle = shuffle
        self.seed = seed
        self._splits: dict[str, Split] | None = None
        self._class_names: list[str] = []
        self._train_batches: TensorBatches | None = None

    def make_splits(self) -> dict[str, Split]:
        raise NotImplementedError(f"{type(self).__name__} must implement make_splits()")

    def setup(self, stage: str | None = None) -> None:
        """Build and check the splits once, before any loader asks for them."""
        if self._splits is not None:
            return
        splits = self.make_splits()
        for name in SPLITS:
            x, y = splits[name]
            if x.ndim != 2 or y.shape != (x.shape[0],):
                raise ValueError(
                    f"{type(self).__name__}: the {name} split must hold x of shape (N, features) and y of shape (N,), "
                    f"got {tuple(x.shape)} and {tuple(y.shape)}"
                )
        labels = torch.cat([splits[name][1].float() for name in SPLITS])
        where = f"{type(self).__name__} ({self.task})"
        self._class_names = class_names_for(self.task, labels, self.declared_class_names, where)
        self._splits = {name: (x.float(), y.float()) for name, (x, y) in splits.items()}

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
    def splits(self) -> dict[str, Split]:
        self.setup()
        return self._splits

    def prepare_inputs(self, x: Tensor) -> Tensor:
        """Raw input rows as the model saw its training rows; data sets that rescale their rows override it."""
        return x

    @property
    def num_features(self) -> int:
        """Input width; the model's first layer is sized from it."""
        return self.splits["train"][0].shape[1]

    def _batches(self, split: str, shuffle: bool, shard: bool = True, passes: int = 1) -> TensorBatches:
        x, y = self.splits[split]
        # Lightning attaches the trainer before it asks for loaders; rank and world size are known by then.
        rank, world_size = (self.trainer.global_rank, self.trainer.world_size) if shard and self.trainer else (0, 1)
        pad = split == "train"
        return TensorBatches(x, y, self.batch_size, shuffle, self.seed, rank, world_size, pad=pad, passes=passes)

    def train_dataloader(self) -> TensorBatches:
        # Kept, so resuming can restore its pass counter (see state_dict).
        if self._train_batches is None:
            self._train_batches = self._batches("train", self.shuffle, passes=self.passes_per_epoch)
        return self._train_batches

    def val_dataloader(self) -> TensorBatches:
        return self._batches("val", shuffle=False)

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", shuffle=False)

    def predict_dataloader(self) -> TensorBatches:
        # Not sharded: every process predicts every row, so rank 0 alone returns all predictions in order.
        return self._batches("test", shuffle=False, shard=False)

    def state_dict(self) -> dict[str, int]:
        return {"train_passes": self._train_batches.passes_done if self._train_batches else 0}

    def load_state_dict(self, state_dict: dict[str, int]) -> None:
        self.train_dataloader().passes_done = int(state_dict.get("train_passes", 0))
