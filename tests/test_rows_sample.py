"""The callbacks' sample of rows: the first k of the loader's dataset, in order, its randomness left alone."""

import pytest
import torch
from torch.utils.data import BatchSampler, DataLoader, IterableDataset, RandomSampler, TensorDataset

from backprop_lab.callbacks.rows_sample import NoSample, first_rows

X, Y = torch.arange(60.0).reshape(30, 2), torch.arange(30.0)
DATA = TensorDataset(X, Y)


class Stream(IterableDataset):
    """Rows one at a time, as a file-backed stream would give them."""

    def __iter__(self):
        return iter(zip(X, Y, strict=True))


@pytest.mark.parametrize(
    "loader",
    [
        DataLoader(DATA, batch_size=4, shuffle=True),
        DataLoader(DATA, batch_size=None, sampler=BatchSampler(RandomSampler(DATA), 4, drop_last=False)),
        DataLoader(DATA, batch_sampler=BatchSampler(RandomSampler(DATA), 4, drop_last=False)),
        DataLoader(Stream(), batch_size=4),
    ],
    ids=["shuffled rows", "whole-batch indexing", "batch sampler", "iterable"],
)
def test_the_first_rows_in_order_and_the_global_generator_untouched(loader):
    state = torch.get_rng_state()
    x, y = first_rows(loader, 10)
    assert torch.equal(x, X[:10]) and torch.equal(y, Y[:10])
    assert torch.equal(torch.get_rng_state(), state)  # a shuffled loader's next order stays what it would have been
    assert torch.equal(first_rows(loader, 100)[0], X)  # fewer rows than asked: all of them


def test_what_is_not_a_loader_of_x_y_pairs_is_refused_with_a_reason():
    with pytest.raises(NoSample, match=r"loader is a list, not a torch DataLoader"):
        first_rows([(X, Y)], 4)
    as_dicts = DataLoader([{"x": row} for row in X], batch_size=4)
    with pytest.raises(NoSample, match=r"batches are not \(x, y\) pairs of tensors .*\(got a dict\)"):
        first_rows(as_dicts, 4)
    three = DataLoader(TensorDataset(X, Y, Y), batch_size=4)
    with pytest.raises(NoSample, match=r"got a list of 3: a tensor of shape \(4, 2\), a tensor of shape \(4,\)"):
        first_rows(three, 4)
