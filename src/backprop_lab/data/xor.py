"""XOR: the seed article's four-row truth table."""

from typing import Any

import torch

from backprop_lab.data.tensors import Split, TensorDataModule

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [0.0, 1.0, 1.0, 0.0]


class XORDataModule(TensorDataModule):
    """The four XOR rows serve as train, val and test set alike.

    There is nothing else to test on: the question XOR asks is whether the
    network can represent the function at all, not whether it generalises.
    Full batch by default, as in the article.
    """

    def __init__(self, passes_per_epoch: int, **loader_options: Any) -> None:
        # `passes_per_epoch` has no default: configs/data/xor.yaml sets it (4 rows are too few for one pass an epoch).
        super().__init__(passes_per_epoch=passes_per_epoch, **loader_options)

    def make_splits(self) -> dict[str, Split]:
        x = torch.tensor(XOR_INPUTS)
        y = torch.tensor(XOR_TARGETS)
        return {"train": (x, y), "val": (x, y), "test": (x, y)}
