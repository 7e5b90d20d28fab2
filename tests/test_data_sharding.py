"""Under DDP each process gets a share of the rows: training shares step in lockstep, evaluation sees each row once."""

from types import SimpleNamespace

import pytest
import torch

from backprop_lab.data.tensors import TensorBatches
from backprop_lab.data.xor import XORDataModule


def rows(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.arange(float(n)).unsqueeze(1), torch.arange(float(n))


def shares(n: int, world_size: int, **kwargs) -> list[list[list[int]]]:
    """Per rank, the rows of each batch of one pass."""
    x, y = rows(n)
    return [
        [batch_y.int().tolist() for _, batch_y in TensorBatches(x, y, rank=rank, world_size=world_size, **kwargs)]
        for rank in range(world_size)
    ]


def test_full_batch_xor_on_two_processes_is_one_step_on_two_rows_each_covering_all_four():
    per_rank = shares(4, 2, batch_size=None, shuffle=True, seed=0, pad=True)
    assert [len(batches) for batches in per_rank] == [1, 1]
    assert sorted(per_rank[0][0] + per_rank[1][0]) == [0, 1, 2, 3]
    assert len(per_rank[0][0]) == len(per_rank[1][0]) == 2


@pytest.mark.parametrize(("n", "world_size", "batch_size"), [(10, 2, 3), (7, 3, 2), (5, 2, None), (3, 4, None)])
def test_evaluation_scores_every_row_exactly_once(n, world_size, batch_size):
    per_rank = shares(n, world_size, batch_size=batch_size, shuffle=False, seed=0, pad=False)
    scored = [row for batches in per_rank for batch in batches for row in batch]
    assert sorted(scored) == list(range(n))


@pytest.mark.parametrize(("n", "world_size", "batch_size"), [(10, 2, 3), (7, 3, 2), (5, 2, None), (3, 4, None)])
def test_training_shares_take_equally_many_steps_and_cover_every_row(n, world_size, batch_size):
    x, y = rows(n)
    loaders = [
        TensorBatches(x, y, batch_size, shuffle=True, seed=1, rank=rank, world_size=world_size, pad=True)
        for rank in range(world_size)
    ]
    for _ in range(2):  # two epochs: the shares follow each epoch's permutation, the same on every rank
        passes = [[b.int().tolist() for _, b in loader] for loader in loaders]
        assert len({len(batches) for batches in passes}) == 1, passes
        assert all(len(batches) == len(loader) for batches, loader in zip(passes, loaders, strict=True))
        assert len({sum(map(len, batches)) for batches in passes}) == 1  # equal rows: an unweighted mean is right
        trained = {row for batches in passes for batch in batches for row in batch}
        assert trained == set(range(n))


def test_training_shares_are_disjoint_when_the_rows_divide_evenly_and_reshuffle_each_epoch():
    x, y = rows(8)
    loaders = [TensorBatches(x, y, 2, shuffle=True, seed=0, rank=r, world_size=2, pad=True) for r in range(2)]
    epochs = [[sorted(row for _, b in loader for row in b.int().tolist()) for loader in loaders] for _ in range(3)]
    for rank0, rank1 in epochs:
        assert sorted(rank0 + rank1) == list(range(8))
    assert epochs[0] != epochs[1] or epochs[1] != epochs[2]


def test_one_process_keeps_the_unsharded_batches():
    x, y = rows(10)
    sharded = TensorBatches(x, y, 3, shuffle=True, seed=4, rank=0, world_size=1, pad=True)
    plain = TensorBatches(x, y, 3, shuffle=True, seed=4)
    assert [b.tolist() for _, b in sharded] == [b.tolist() for _, b in plain]


def test_data_module_shards_by_the_trainers_rank_but_predicts_every_row():
    dm = XORDataModule(passes_per_epoch=1, batch_size=None)
    dm.trainer = SimpleNamespace(global_rank=1, world_size=2)  # what Lightning attaches before asking for loaders
    assert [y.tolist() for _, y in dm.test_dataloader()] == [[1, 0]]  # rows 1 and 3 of the truth table
    assert [len(y) for _, y in dm.train_dataloader()] == [2]
    assert [y.tolist() for _, y in dm.predict_dataloader()] == [[0, 1, 1, 0]]


def test_padding_repeats_a_different_row_from_epoch_to_epoch():
    x, y = rows(5)  # 2 processes, full batch: 3 rows each, one of the 5 repeated
    loaders = [TensorBatches(x, y, None, shuffle=True, seed=0, rank=r, world_size=2, pad=True) for r in range(2)]
    repeated = set()
    for _ in range(6):
        seen = [row for loader in loaders for _, b in loader for row in b.int().tolist()]
        repeated.add(next(row for row in seen if seen.count(row) == 2))
    assert len(repeated) > 1
