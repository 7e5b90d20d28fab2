import torch

from backprop_lab.data.splits import split_order
from backprop_lab.data.tensors import TensorBatches
from backprop_lab.data.xor import XORDataModule


def test_xor_splits_are_the_truth_table():
    dm = XORDataModule(passes_per_epoch=1)
    dm.setup("fit")
    for split in ("train", "val", "test"):
        x, y = dm.splits[split]
        assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
        assert y.tolist() == [0, 1, 1, 0]
    assert dm.num_features == 2


def test_full_batch_is_one_batch_in_order():
    dm = XORDataModule(passes_per_epoch=1, batch_size=None, shuffle=True)
    batches = list(dm.train_dataloader())
    assert len(batches) == 1 == len(dm.train_dataloader())
    assert batches[0][1].tolist() == [0, 1, 1, 0]


def test_minibatches_cover_every_row_once_per_epoch_and_reshuffle():
    x = torch.arange(10.0).unsqueeze(1)
    batches = TensorBatches(x, torch.zeros(10), batch_size=3, shuffle=True, seed=0)
    assert len(batches) == 4
    first = torch.cat([bx for bx, _ in batches]).squeeze(1)
    second = torch.cat([bx for bx, _ in batches]).squeeze(1)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(10))
    assert first.tolist() != second.tolist()


def test_shuffled_rows_and_the_split_follow_torch_randperm_of_the_seed():
    """Drawn as int32 to halve their memory, the orders are still randperm's: runs see the rows they always saw."""
    x, n = torch.arange(70_000.0).unsqueeze(1), 70_000
    batches = TensorBatches(x, torch.zeros(n), batch_size=4096, shuffle=True, seed=3)
    seen = torch.cat([bx for bx, _ in batches]).squeeze(1).long()
    assert torch.equal(seen, torch.randperm(n, generator=torch.Generator().manual_seed(3)))
    assert torch.equal(split_order(n, 5).long(), torch.randperm(n, generator=torch.Generator().manual_seed(5)))


def test_shuffle_order_is_restored_from_state_dict():
    dm = XORDataModule(passes_per_epoch=1, batch_size=1, seed=5)
    loader = dm.train_dataloader()
    [list(loader) for _ in range(3)]
    state = dm.state_dict()
    expected = [y.item() for _, y in loader]

    resumed = XORDataModule(passes_per_epoch=1, batch_size=1, seed=5)
    resumed.load_state_dict(state)
    assert [y.item() for _, y in resumed.train_dataloader()] == expected


def test_an_epoch_of_several_passes_repeats_the_full_batch_and_reshuffles_each_pass():
    loader = XORDataModule(passes_per_epoch=3).train_dataloader()
    assert len(loader) == 3 == len(list(loader))

    x = torch.arange(10.0).unsqueeze(1)
    batches = TensorBatches(x, torch.zeros(10), batch_size=5, shuffle=True, seed=0, passes=2)
    rows = [bx.squeeze(1).tolist() for bx, _ in batches]
    assert len(rows) == len(batches) == 4
    first, second = rows[0] + rows[1], rows[2] + rows[3]
    assert sorted(first) == sorted(second) == list(range(10)) and first != second
    assert batches.passes_done == 2  # what a resumed run restores (see state_dict)
