"""The plain PyTorch loop the template is measured against: the article's loop, nothing more.

zero_grad, forward, loss, backward, step. Imports torch alone, never
Lightning or the template, so this side's memory and start-up are those of a
hand-written script.
"""

from typing import Any

import torch
from torch import Tensor

from benchmarks.clock import Stamp, stamp
from benchmarks.hand_built import batches, loss_fn, loss_of, make_optimizer, sequential


def train(spec: dict[str, Any], x: Tensor, y: Tensor, device: torch.device) -> dict[str, Any]:
    """Train as `spec` says; time the steps after `warmup`."""
    torch.manual_seed(spec["seed"])
    net = sequential(spec, x.shape[1]).to(device)
    optimizer = make_optimizer(net.parameters(), spec)
    forward = torch.compile(net) if spec.get("compile") else net
    loss = loss_fn(spec)
    x, y = x.to(device), y.to(device)

    begin = stamp(device)
    start: Stamp | None = None
    samples, step = 0, 0
    for step, (bx, by) in enumerate(batches(x, y, spec)):
        if step == spec["warmup"]:
            start = stamp(device)
        optimizer.zero_grad()
        value = loss_of(loss, forward(bx), by)
        value.backward()
        optimizer.step()
        if start is not None:
            samples += len(by)
    end = stamp(device)
    return {
        "wall_s": end.wall - start.wall,
        "cpu_s": end.cpu - start.cpu,
        "warmup_s": start.wall - begin.wall,
        "steps": step + 1 - spec["warmup"],
        "samples": samples,
        "loss": value.item(),
    }
