"""The network, loss, optimizer and batches a user would write by hand: torch alone, no template code.

The plain loop and the Lightning-alone module both build from these. The
network is the same `nn.Sequential` of Linear and activation layers the
template's `nets.mlp` builds, created in the same order from the same seed,
so it starts from the same weights (its layers are numbered, not named).
"""

import importlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

Batch = tuple[Tensor, Tensor]


def sequential(spec: dict[str, Any], in_features: int) -> nn.Sequential:
    """in -> hidden... -> out logits, with the activation the spec names by its torch class (`Tanh`)."""
    layers: list[nn.Module] = []
    width = in_features
    for size in spec["hidden"]:
        layers += [nn.Linear(width, size), getattr(nn, spec["activation"])()]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, spec["out_features"]))


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


def batches(x: Tensor, y: Tensor, spec: dict[str, Any]) -> Iterator[Batch]:
    """`steps` full batches (case 1), or one shuffled pass in the order the template draws its first pass
    (its first `max_batches` batches, when the spec limits them as `trainer.limit_train_batches` does)."""
    if spec.get("steps"):
        for _ in range(spec["steps"]):
            yield x, y
        return
    size = spec.get("batch_size") or len(x)
    if size >= len(x):
        yield x, y
        return
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(spec["seed"])).to(x.device)
    for start in range(0, min(len(x), size * (spec.get("max_batches") or len(x))), size):
        idx = order[start : start + size]
        yield x[idx], y[idx]


def batch_count(n: int, spec: dict[str, Any]) -> int:
    size = spec.get("batch_size") or n
    return spec.get("steps") or min(-(-n // size), spec.get("max_batches") or n)
