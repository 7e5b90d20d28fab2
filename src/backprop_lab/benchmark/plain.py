"""The plain PyTorch loops the template is measured against: the article's loop, nothing more.

zero_grad, forward, BCE-with-logits, backward, step. Imports torch and the
torch-only parts of the package (the network builder and the point
generator), never Lightning, so this side's memory and start-up are those of
a hand-written script.
"""

import importlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from backprop_lab.benchmark.clock import Stamp, stamp
from backprop_lab.models.nets import mlp


def make_optimizer(params: Any, target: str, kwargs: dict[str, Any]) -> torch.optim.Optimizer:
    """The optimizer a config names (`torch.optim.SGD`), built with the config's arguments."""
    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(params, **kwargs)


def batches(x: Tensor, y: Tensor, batch_size: int, seed: int) -> Iterator[tuple[Tensor, Tensor]]:
    """One shuffled pass, in the order the template's `TensorBatches` draws for its first pass."""
    if batch_size >= len(x):
        yield x, y
        return
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).to(x.device)
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]


def train(spec: dict[str, Any], x: Tensor, y: Tensor, device: torch.device) -> dict[str, Any]:
    """Train as `spec` says; time the steps after `warmup` (full batch for `steps`, or one epoch)."""
    torch.manual_seed(spec["seed"])
    net = mlp(x.shape[1], spec["hidden"], spec["activation"]).to(device)
    optimizer = make_optimizer(net.parameters(), spec["optimizer"], spec["optimizer_kwargs"])
    loss_fn = nn.BCEWithLogitsLoss()
    x, y = x.to(device), y.to(device)
    batch_size = spec.get("batch_size") or len(x)
    if spec.get("steps"):
        stream: Iterator = ((x, y) for _ in range(spec["steps"]))
    else:
        stream = batches(x, y, batch_size, spec["seed"])

    start: Stamp | None = None
    samples, step = 0, 0
    for step, (bx, by) in enumerate(stream):
        if step == spec["warmup"]:
            start = stamp(device)
        optimizer.zero_grad()
        loss = loss_fn(net(bx).squeeze(-1), by)
        loss.backward()
        optimizer.step()
        if start is not None:
            samples += len(by)
    end = stamp(device)
    return {
        "wall_s": end.wall - start.wall,
        "cpu_s": end.cpu - start.cpu,
        "steps": step + 1 - spec["warmup"],
        "samples": samples,
        "loss": loss.item(),
    }
