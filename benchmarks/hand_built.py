"""The network, loss, optimizer and batches a user would write by hand: torch alone, no template code.

The plain loop and the Lightning-alone module both build from these. The
network is the same `nn.Sequential` of layers the template's `nets.mlp` or
`nets.cnn` builds, created in the same order from the same seed, so it starts
from the same weights (its layers are numbered, not named). The batches come
from a `DataLoader` built as the template's data modules build theirs
(`data/tensors.py`): the same batch size, shuffling and seeded generator, a
dataset that hands back whole batches (`__getitems__`) and a collate function
that passes them on. Lightning alone gives it the template's own `TensorRows`
and `stacked`; the plain loop, which imports torch alone, the twin below.
"""

import importlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

Batch = tuple[Tensor, Tensor]


class Rows(Dataset):
    """The template's `TensorRows` line for line, without importing Lightning: a batch is one indexing."""

    def __init__(self, x: Tensor, y: Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> Batch:
        return self.x[index], self.y[index]

    def __getitems__(self, indices: list[int]) -> Batch:
        return self.x[indices], self.y[indices]


def as_given(batch: Batch) -> Batch:
    """The template's `stacked`: the dataset's batches come stacked already."""
    return batch


def loader(
    x: Tensor, y: Tensor, spec: dict[str, Any], dataset: type = Rows, collate: Callable = as_given
) -> DataLoader:
    """The training loader the template's data module builds for the same rows, batch size and seed.

    Full batch (`batch_size` null or at least the rows) is never shuffled, as in the template.
    """
    rows = dataset(x, y)
    size = spec.get("batch_size") or len(rows)
    shuffle = spec.get("shuffle", True) and size < len(rows)
    generator = torch.Generator().manual_seed(spec["seed"]) if shuffle else None
    return DataLoader(rows, batch_size=size, shuffle=shuffle, generator=generator, collate_fn=collate)


def _mlp(spec: dict[str, Any], width: int, act: type[nn.Module], dropout: float = 0.0) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for size in spec["hidden"]:
        layers += [nn.Linear(width, size), act(), *([nn.Dropout(dropout)] if dropout else [])]
        width = size
    return [*layers, nn.Linear(width, spec["out_features"])]


def _cnn(spec: dict[str, Any], input_shape: Sequence[int], act: type[nn.Module]) -> list[nn.Module]:
    """Conv blocks (conv, [batch norm], activation, [max-pool]), flatten, then the MLP head: `nets.cnn`'s order."""
    channels, height, width = input_shape
    layers: list[nn.Module] = []
    for out, kernel, pool in zip(spec["channels"], spec["kernel_sizes"], spec["pool"], strict=True):
        layers.append(nn.Conv2d(channels, out, kernel, padding=kernel // 2))
        layers += [nn.BatchNorm2d(out)] if spec["batch_norm"] else []
        layers.append(act())
        height, width = height + 2 * (kernel // 2) - kernel + 1, width + 2 * (kernel // 2) - kernel + 1
        if pool > 1:
            layers.append(nn.MaxPool2d(pool))
            height, width = height // pool, width // pool
        channels = out
    return [*layers, nn.Flatten(), *_mlp(spec, channels * height * width, act, spec.get("dropout", 0.0))]


def sequential(spec: dict[str, Any], input_shape: Sequence[int]) -> nn.Sequential:
    """The spec's network (`kind` mlp or cnn) with the activation it names by its torch class (`Tanh`)."""
    act = getattr(nn, spec["activation"])
    if spec.get("kind") == "cnn":
        return nn.Sequential(*_cnn(spec, input_shape, act))
    flatten = [nn.Flatten()] if len(input_shape) > 1 else []
    return nn.Sequential(*flatten, *_mlp(spec, math.prod(input_shape), act))


def loss_fn(spec: dict[str, Any]) -> nn.Module:
    """Binary: BCE on the one logit; multi-class: cross-entropy on the class logits."""
    return nn.BCEWithLogitsLoss() if spec["out_features"] == 1 else nn.CrossEntropyLoss()


def loss_of(loss: nn.Module, logits: Tensor, y: Tensor) -> Tensor:
    if isinstance(loss, nn.BCEWithLogitsLoss):
        return loss(logits.squeeze(-1), y)
    return loss(logits, y.long())


def make_optimizer(params: Any, spec: dict[str, Any]) -> torch.optim.Optimizer:
    """The optimizer the config names (`torch.optim.SGD`), built with the config's arguments."""
    module, name = spec["optimizer"].rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(params, **spec["optimizer_kwargs"])
