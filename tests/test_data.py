"""The in-memory data modules hand Lightning plain `DataLoader`s: batches, shuffling, passes, resume, DDP shares."""

from types import SimpleNamespace

import torch
from torch.utils.data import DataLoader, DistributedSampler

from backprop_lab.data.splits import split_order
from backprop_lab.data.tensors import Passes, TensorDataModule, TensorRows
from backprop_lab.data.xor import XORDataModule


class Counting(TensorDataModule):
    """Rows 0..n-1 as inputs and targets, every split the same: which rows a batch holds is plain to see."""

    task = "regression"

    def __init__(self, n: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n = n

    def make_splits(self):
        rows = (torch.arange(float(self.n)).unsqueeze(1), torch.arange(float(self.n)))
        return {"train": rows, "val": rows, "test": rows}


def rows_of(loader) -> list[list[int]]:
    return [y.int().tolist() for _, y in loader]


def test_xor_splits_are_the_truth_table():
    dm = XORDataModule(passes_per_epoch=1)
    dm.setup("fit")
    for split in ("train", "val", "test"):
        x, y = dm.splits[split]
        assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
        assert y.tolist() == [0, 1, 1, 0]
    assert dm.input_shape == (2,)


def test_loaders_are_dataloaders_with_the_configured_options():
    dm = Counting(10, batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True)
    loader = dm.train_dataloader()
    assert isinstance(loader, DataLoader) and isinstance(loader.dataset, TensorRows)
    assert (loader.batch_size, loader.num_workers, loader.pin_memory, loader.persistent_workers) == (4, 2, True, True)
    assert rows_of(dm.val_dataloader()) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]  # evaluation keeps the order


def test_full_batch_is_one_batch_in_order():
    dm = XORDataModule(passes_per_epoch=1, batch_size=None, shuffle=True)
    assert rows_of(dm.train_dataloader()) == [[0, 1, 1, 0]]


def test_minibatches_cover_every_row_once_per_epoch_and_reshuffle():
    loader = Counting(10, batch_size=3, seed=0).train_dataloader()
    first, second = sum(rows_of(loader), []), sum(rows_of(loader), [])
    assert len(loader) == 4
    assert sorted(first) == sorted(second) == list(range(10)) and first != second


def test_shuffle_order_is_restored_from_state_dict():
    dm = Counting(10, batch_size=2, seed=5)
    loader = dm.train_dataloader()
    [rows_of(loader) for _ in range(3)]
    state = dm.state_dict()
    expected = rows_of(loader)

    resumed = Counting(10, batch_size=2, seed=5)
    resumed.load_state_dict(state)
    assert rows_of(resumed.train_dataloader()) == expected


def test_an_epoch_of_several_passes_repeats_the_full_batch():
    loader = XORDataModule(passes_per_epoch=3).train_dataloader()
    assert rows_of(loader) == [[0, 1, 1, 0]] * 3


def test_split_order_follows_torch_randperm_of_the_seed():
    """Drawn as int32 to halve its memory, the order is still randperm's: runs see the rows they always saw."""
    expected = torch.randperm(70_000, generator=torch.Generator().manual_seed(5))
    assert torch.equal(split_order(70_000, 5).long(), expected)


def shares(dm: TensorDataModule, world_size: int) -> list[list[list[float]]]:
    """Per rank, the inputs of each batch of one epoch, rebuilt as Lightning does under DDP.

    Lightning puts a shuffling `DistributedSampler` under a training loader and, for a `BatchSampler`
    subclass such as `Passes`, builds the same class again around it.
    """
    dm.trainer = SimpleNamespace(world_size=world_size)  # what Lightning attaches before it asks for loaders
    loader = dm.train_dataloader()
    per_rank = []
    for rank in range(world_size):
        sampler = DistributedSampler(loader.dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=3)
        batches = loader.batch_sampler
        passes = Passes(sampler, batches.batch_size, passes=batches.passes)
        sharded = DataLoader(loader.dataset, batch_sampler=passes, collate_fn=loader.collate_fn)
        per_rank.append([x.tolist() for x, _ in sharded])
    return per_rank


def test_full_batch_under_ddp_is_one_step_a_pass_on_each_process_covering_all_rows():
    per_rank = shares(XORDataModule(passes_per_epoch=3, batch_size=None), world_size=2)
    assert [len(batches) for batches in per_rank] == [3, 3]  # three passes: three steps on each process
    for step in range(3):
        rows = sorted(per_rank[0][step] + per_rank[1][step])
        assert rows == [[0, 0], [0, 1], [1, 0], [1, 1]]  # each step: every row once, across the processes
