"""The in-memory data module every small data set shares.

Small tabular data fits in one tensor, so batches are cut by slicing (or by
indexing with a shuffled permutation) instead of going through a
`DataLoader`'s per-sample `__getitem__` and collation. Lightning accepts any
iterable with a length as a loader; the saving is most of a step on XOR.
"""

import math
from collections.abc import Iterator

import lightning as L
import torch
from torch import Tensor

Split = tuple[Tensor, Tensor]
SPLITS = ("train", "val", "test")


class TensorBatches:
    """Iterable of `(x, y)` batches over two aligned tensors.

    `batch_size=None` means full batch. One iteration (a Lightning epoch) is
    `passes` passes over the data: tiny data sets such as XOR take many
    full-batch steps per epoch, so the per-epoch work (validation,
    checkpoint, logging) is paid once per `passes` steps instead of every
    step. With `shuffle`, every pass draws a new permutation from a generator
    seeded with `seed + pass number`, so a resumed run sees the same order as
    an uninterrupted one.
    """

    def __init__(
        self, x: Tensor, y: Tensor, batch_size: int | None, shuffle: bool, seed: int, passes: int = 1
    ) -> None:
        self.x, self.y = x, y
        self.batch_size = batch_size or len(x)
        self.shuffle = shuffle
        self.seed = seed
        self.passes = passes
        self.passes_done = 0

    def __len__(self) -> int:
        return self.passes * math.ceil(len(self.x) / self.batch_size)

    def __iter__(self) -> Iterator[Split]:
        for _ in range(self.passes):
            yield from self._one_pass()

    def _one_pass(self) -> Iterator[Split]:
        n, size = len(self.x), self.batch_size
        if self.shuffle and size < n:  # a full batch's order changes nothing but the cost
            generator = torch.Generator().manual_seed(self.seed + self.passes_done)
            order = torch.randperm(n, generator=generator)
            self.passes_done += 1
            for start in range(0, n, size):
                idx = order[start : start + size]
                yield self.x[idx], self.y[idx]
        else:
            for start in range(0, n, size):
                yield self.x[start : start + size], self.y[start : start + size]


class TensorDataModule(L.LightningDataModule):
    """Base for data sets held as tensors: subclasses implement `make_splits`.

    `make_splits` returns `{"train": (x, y), "val": ..., "test": ...}` with
    `x` float of shape (N, features) and `y` float 0/1 of shape (N,).
    A training epoch is `passes_per_epoch` passes over the train split.
    """

    def __init__(
        self, batch_size: int | None = None, shuffle: bool = True, seed: int = 0, passes_per_epoch: int = 1
    ) -> None:
        super().__init__()
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"data.batch_size must be a positive integer or null (full batch), got {batch_size}")
        if passes_per_epoch < 1:
            raise ValueError(f"data.passes_per_epoch must be a positive integer, got {passes_per_epoch}")
        self.batch_size = batch_size
        self.passes_per_epoch = passes_per_epoch
        self.shuffle = shuffle
        self.seed = seed
        self._splits: dict[str, Split] | None = None
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
        self._splits = {name: (x.float(), y.float()) for name, (x, y) in splits.items()}

    @property
    def splits(self) -> dict[str, Split]:
        self.setup()
        return self._splits

    @property
    def num_features(self) -> int:
        """Input width; the model's first layer is sized from it."""
        return self.splits["train"][0].shape[1]

    def _batches(self, split: str, shuffle: bool, passes: int = 1) -> TensorBatches:
        x, y = self.splits[split]
        return TensorBatches(x, y, self.batch_size, shuffle, self.seed, passes)

    def train_dataloader(self) -> TensorBatches:
        # Kept, so resuming can restore its pass counter (see state_dict).
        if self._train_batches is None:
            self._train_batches = self._batches("train", self.shuffle, self.passes_per_epoch)
        return self._train_batches

    def val_dataloader(self) -> TensorBatches:
        return self._batches("val", shuffle=False)

    def test_dataloader(self) -> TensorBatches:
        return self._batches("test", shuffle=False)

    def predict_dataloader(self) -> TensorBatches:
        return self._batches("test", shuffle=False)

    def state_dict(self) -> dict[str, int]:
        return {"train_passes": self._train_batches.passes_done if self._train_batches else 0}

    def load_state_dict(self, state_dict: dict[str, int]) -> None:
        self.train_dataloader().passes_done = int(state_dict.get("train_passes", 0))
