"""Train/val/test splits shared by every data set that is not split already.

One seeded permutation cuts the rows; standardisation is fitted on the
training split alone, so nothing about the val or test rows leaks into the
features the model trains on.
"""

from typing import Any

import torch
from torch import Tensor

from backprop_lab.data.checks import check_inputs
from backprop_lab.data.tensors import Split, TensorDataModule
from backprop_lab.errors import DataError


def permutation(n: int, generator: torch.Generator) -> Tensor:
    """`torch.randperm(n)` as int32 where `n` fits: the same draws, half the memory (held through a whole pass)."""
    return torch.randperm(n, generator=generator, dtype=torch.int32 if n < 2**31 else torch.int64)


def split_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """Rows in train, val and test; a clear error when a split would be empty."""
    n_val, n_test = round(n * val_fraction), round(n * test_fraction)
    n_train = n - n_val - n_test
    if min(n_train, n_val, n_test) < 1:
        raise DataError(
            f"Cannot split {n} rows into train, val and test with data.val_fraction={val_fraction} and "
            f"data.test_fraction={test_fraction}: every split needs at least one row ({n_train}, {n_val}, {n_test} "
            "now). Use fractions that are each > 0 and sum to less than 1, or more rows."
        )
    return n_train, n_val, n_test


def split_order(n: int, seed: int) -> Tensor:
    """The seeded shuffle of `n` rows: train takes the first rows of it, then val, then test."""
    return permutation(n, torch.Generator().manual_seed(seed))


def cut(x: Tensor, y: Tensor, sizes: tuple[int, int, int]) -> dict[str, Split]:
    """Rows already in split order, cut into train, val and test (views: no copy)."""
    n_train, n_val, _ = sizes
    bounds = {"train": slice(0, n_train), "val": slice(n_train, n_train + n_val), "test": slice(n_train + n_val, None)}
    return {name: (x[rows], y[rows]) for name, rows in bounds.items()}


def split_rows(x: Tensor, y: Tensor, val_fraction: float, test_fraction: float, seed: int) -> dict[str, Split]:
    """Shuffle the rows with `seed` and cut them into train, val and test."""
    sizes = split_sizes(len(x), val_fraction, test_fraction)
    order = split_order(len(x), seed)
    return cut(x[order], y[order], sizes)


def scaling(train_x: Tensor) -> tuple[Tensor, Tensor]:
    """The training rows' per-column mean and standard deviation (1 for a constant column)."""
    mean = train_x.mean(dim=0)
    std = train_x.std(dim=0, correction=0)
    return mean, torch.where(std > 0, std, torch.ones_like(std))  # a constant column stays constant (zero)


def standardize(
    splits: dict[str, Split], scale: tuple[Tensor, Tensor] | None = None, in_place: bool = False
) -> dict[str, Split]:
    """Scale every split with the training split's mean and standard deviation (or the `scale` given).

    `in_place` overwrites the splits' own `x` (the same values, without a second copy of large data).
    """
    mean, std = scale if scale is not None else scaling(splits["train"][0])
    if in_place:
        for x, _ in splits.values():
            x.sub_(mean).div_(std)
        return splits
    return {name: ((x - mean) / std, y) for name, (x, y) in splits.items()}


class SplitDataModule(TensorDataModule):
    """Base for data sets that come as one table: subclasses implement `load() -> (x, y)`.

    The rows are split by `seed` (the run's seed, unless set) and, with
    `standardize`, scaled by statistics of the training rows only. A
    regression target is standardised the same way (always: the loss and
    the initial weights suit values near 0 with spread 1); the model's
    metrics and predictions undo it, so they are in the target's own units.
    """

    def __init__(
        self,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        standardize: bool = True,
        batch_size: int | None = 64,
        **loader_options: Any,
    ) -> None:
        """`loader_options`: `shuffle`, `seed`, `passes_per_epoch`, `num_workers`, ... (see `TensorDataModule`)."""
        super().__init__(batch_size=batch_size, **loader_options)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.standardize = standardize
        self._scale: tuple[Tensor, Tensor] | None = None
        self._fixed_scale: tuple[Tensor, Tensor] | None = None  # a trained model's own statistics (eval)
        self._target_scale: tuple[float, float] | None = None
        self._fixed_target_scale: tuple[float, float] | None = None

    @property
    def target_scale(self) -> tuple[float, float] | None:
        """A regression target's (mean, std) of the training rows; None for classes."""
        self.setup()
        return self._target_scale

    def prepare_inputs(self, x: Tensor) -> Tensor:
        """Raw rows scaled as the training rows were, so a trained model can predict on them."""
        self.setup()
        if self._scale is None:
            return x
        mean, std = self._scale
        return (x.float() - mean) / std

    def fitted_preprocessing(self) -> dict[str, Any]:
        """What was fitted to the training rows, as plain values a checkpoint can hold."""
        self.setup()
        fitted: dict[str, Any] = {}
        if self._scale is not None:
            # Flat lists, one number per input value in the row's order: the same for rows, images and sequences.
            fitted.update(mean=self._scale[0].flatten().tolist(), std=self._scale[1].flatten().tolist())
        if self._target_scale is not None:
            fitted.update(target_mean=self._target_scale[0], target_std=self._target_scale[1])
        return fitted

    def use_preprocessing(self, preprocessing: dict[str, Any]) -> None:
        """Scale with a trained model's stored statistics instead of refitting them to the data as it is now."""
        if "mean" in preprocessing:
            self._fixed_scale = (torch.tensor(preprocessing["mean"]), torch.tensor(preprocessing["std"]))
        if "target_mean" in preprocessing:
            self._fixed_target_scale = (float(preprocessing["target_mean"]), float(preprocessing["target_std"]))

    def load(self) -> Split:
        raise NotImplementedError(f"{type(self).__name__} must implement load()")

    def load_in_order(self) -> Split:
        """All rows as float, shuffled by `split_order(rows, seed)`: the splits' rows, before the cut.

        Gathering `load()`'s rows holds the data twice for a moment; a data set
        that can write its rows straight into their shuffled places overrides this.
        """
        x, y = self.load()
        order = split_order(len(x), self.seed)
        return x.float()[order], y.float()[order]

    def make_splits(self) -> dict[str, Split]:
        x, y = self.load_in_order()
        check_inputs(x, y, type(self).__name__)  # before scaling, which would spread one NaN over a column
        splits = cut(x, y, split_sizes(len(x), self.val_fraction, self.test_fraction))
        if self.task == "regression":
            splits = self._scale_target(splits)
        if not self.standardize:
            return splits
        # kept for prepare_inputs and the checkpoint: predictions on raw rows
        fixed = self._fixed_scale
        row_shape = splits["train"][0].shape[1:]
        self._scale = tuple(s.reshape(row_shape) for s in fixed) if fixed is not None else scaling(splits["train"][0])
        return standardize(splits, self._scale, in_place=True)  # the splits are this method's own copies

    def _scale_target(self, splits: dict[str, Split]) -> dict[str, Split]:
        train_y = splits["train"][1]
        fitted = (float(train_y.mean()), float(train_y.std(correction=0)) or 1.0)
        self._target_scale = self._fixed_target_scale or fitted
        mean, std = self._target_scale
        return {name: (x, (y - mean) / std) for name, (x, y) in splits.items()}
