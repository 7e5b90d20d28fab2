"""The plain PyTorch loop the template is measured against: the article's loop, nothing more.

zero_grad, forward, loss, backward, step, over the same `DataLoader` the
other sides draw from (`hand_built.loader`; XOR's four rows are one full
batch a step, with no loader). Imports torch alone, never Lightning or the
template, so this side's memory and start-up are those of a hand-written
script.
"""

from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

from benchmarks.hand_built import Batch, loader, loss_fn, loss_of, make_optimizer, sequential
from benchmarks.turns import StepTimer


def epochs(x: Tensor, y: Tensor, spec: dict[str, Any]) -> Iterator[tuple[int, Batch]]:
    """(batch index in its epoch, batch): `steps` full batches, or `epochs` passes of the loader's batches."""
    if spec.get("steps"):
        for step in range(spec["steps"]):
            yield step % spec.get("passes", 1), (x, y)
        return
    batches = loader(x, y, spec)
    for _ in range(spec.get("epochs", 1)):
        for index, batch in enumerate(batches):
            if index == spec.get("max_batches"):
                break
            yield index, batch


def train(spec: dict[str, Any], x: Tensor, y: Tensor, device: torch.device) -> dict[str, Any]:
    """Train as `spec` says; time the steps after `warmup` (each after its turn, with one in the spec)."""
    torch.manual_seed(spec["seed"])
    net = sequential(spec, x.shape[1:]).to(device)
    optimizer = make_optimizer(net.parameters(), spec)
    forward = torch.compile(net) if spec.get("compile") else net
    loss = loss_fn(spec)
    x, y = x.to(device), y.to(device)

    timer = StepTimer(spec.get("turn"))
    samples, steps = 0, 0
    for step, (index, (bx, by)) in enumerate(epochs(x, y, spec)):
        timer.boundary(device, timed=step >= spec["warmup"], new_epoch=index == 0)
        optimizer.zero_grad()
        value = loss_of(loss, forward(bx), by)
        value.backward()
        optimizer.step()
        if timer.timed:
            timer.end(device)
            samples += len(by)
            steps += 1
    return {**timer.reading(), "steps": steps, "samples": samples, "loss": value.item()}
