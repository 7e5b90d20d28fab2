"""A fixed sample of a data module's rows for the callbacks that draw or evaluate: the first k, in order.

The callbacks never iterate the trainer's own loader: a shuffled loader
draws its order (and every DataLoader iterator its worker seed) from torch's
global random generator, so one extra pass would change the order of every
later epoch, and a run with the callbacks would end on other weights than
one without. Instead a fresh, unshuffled `DataLoader` is built over the same
`dataset` with the same `collate_fn`, without workers, and with a generator
of its own; its first batch holds the first k rows. A loader that batches
without per-sample collation (`batch_size=None`, the dataset taking a list
of indices) is sampled the same way, through a `BatchSampler` in order; one
with a `batch_sampler` of its own, as one with a `batch_size`. An
`IterableDataset` is read from a fresh iterator until k rows have come.

Batches must be `(x, y)`: a tuple or list of two tensors with as many rows
each. Anything else raises `NoSample`, whose message (e.g. "the train loader is a
list, not a torch DataLoader") the callback logs once before it steps aside.
"""

import lightning as L
import torch
from lightning.pytorch.utilities.exceptions import MisconfigurationException
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, IterableDataset, SequentialSampler


class NoSample(Exception):
    """Why no sample of rows could be taken; a callback logs it once and skips."""


def first_rows(loader: object, k: int) -> tuple[Tensor, Tensor]:
    """The first `k` rows (fewer if the data holds fewer) of `loader`'s dataset, as one `(x, y)` batch."""
    if not isinstance(loader, DataLoader):
        raise NoSample(f"loader is a {type(loader).__name__}, not a torch DataLoader")
    dataset = loader.dataset
    # Each iterator draws a worker seed: from a generator of its own, so torch's global one is left as it was.
    same = {"collate_fn": loader.collate_fn, "generator": torch.Generator()}
    if isinstance(dataset, IterableDataset):
        fresh = DataLoader(dataset, batch_size=loader.batch_size and k, **same)
    elif loader.batch_sampler is None:  # no automatic batching: the dataset indexes whole batches
        fresh = DataLoader(dataset, batch_size=None, sampler=BatchSampler(SequentialSampler(dataset), k, False), **same)
    else:
        fresh = DataLoader(dataset, batch_size=k, shuffle=False, **same)
    xs, ys, rows = [], [], 0
    for batch in fresh:
        x, y = _pair(batch)
        xs.append(x)
        ys.append(y)
        rows += len(x)
        if rows >= k:
            break
    if not rows:
        raise NoSample("loader's dataset holds no rows")
    return torch.cat(xs)[:k], torch.cat(ys)[:k]


def _pair(batch: object) -> tuple[Tensor, Tensor]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and all(isinstance(t, Tensor) for t in batch):
        x, y = batch
        if x.ndim and y.ndim and len(x) == len(y):
            return x, y
    raise NoSample(f"loader's batches are not (x, y) pairs of tensors with as many rows each (got {_describe(batch)})")


def _describe(batch: object) -> str:
    if isinstance(batch, (tuple, list)):
        return f"a {type(batch).__name__} of {len(batch)}: " + ", ".join(_describe(item) for item in batch)
    return f"a tensor of shape {tuple(batch.shape)}" if isinstance(batch, Tensor) else f"a {type(batch).__name__}"


def loader_of(trainer: L.Trainer, split: str) -> object:
    """The run's `split` ("train" or "val") loader: the trainer's once fit has set it up, else the data module's.

    The trainer's is what the model trains on; the data module's
    `<split>_dataloader()` stands in before that (a callback's `setup`).
    Of several loaders, the first.
    """
    loader = trainer.train_dataloader if split == "train" else trainer.val_dataloaders
    if loader is None:
        datamodule = trainer.datamodule
        if datamodule is None:
            raise NoSample(f"the run has no data module to take {split} rows from")
        try:
            loader = getattr(datamodule, f"{split}_dataloader")()
        except (MisconfigurationException, NotImplementedError):  # Lightning's default for a loader not written
            raise NoSample(f"the data module has no {split}_dataloader") from None
    if isinstance(loader, (list, tuple)) and loader:
        return loader[0]
    if isinstance(loader, dict) and loader:
        return next(iter(loader.values()))
    return loader


def rows_of(trainer: L.Trainer, split: str, k: int) -> tuple[Tensor, Tensor]:
    """The first `k` rows of the run's `split` loader's dataset (the same rows on every process under DDP)."""
    try:
        return first_rows(loader_of(trainer, split), k)
    except NoSample as reason:
        message = str(reason)
        raise NoSample(message if message.startswith("the ") else f"the {split} {message}") from None


def dataset_rows(trainer: L.Trainer, split: str) -> int | None:
    """How many rows the `split` loader's dataset holds; None where it cannot say (an `IterableDataset`)."""
    loader = loader_of(trainer, split)
    dataset = getattr(loader, "dataset", None) if isinstance(loader, DataLoader) else None
    try:
        return None if dataset is None or isinstance(dataset, IterableDataset) else len(dataset)
    except TypeError:  # a dataset without __len__
        return None
