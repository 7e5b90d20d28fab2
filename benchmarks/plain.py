"""The plain PyTorch loop the template is measured against: the article's loop, nothing more.

zero_grad, forward, loss, backward, step. Imports torch alone, never
Lightning or the template, so this side's memory and start-up are those of a
hand-written script.
"""

from typing import Any

import torch
from torch import Tensor

from benchmarks.hand_built import batches, loss_fn, loss_of, make_optimizer, sequential
from benchmarks.turns import StepTimer


def train(spec: dict[str, Any], x: Tensor, y: Tensor, device: torch.device) -> dict[str, Any]:
    """Train as `spec` says; time the steps after `warmup` (each after its turn, with one in the spec)."""
    torch.manual_seed(spec["seed"])
    net = sequential(spec, x.shape[1]).to(device)
    optimizer = make_optimizer(net.parameters(), spec)
    forward = torch.compile(net) if spec.get("compile") else net
    loss = loss_fn(spec)
    x, y = x.to(device), y.to(device)

    timer = StepTimer(spec.get("turn"))
    samples, steps = 0, 0
    for step, (bx, by) in enumerate(batches(x, y, spec)):
        timer.boundary(device, timed=step >= spec["warmup"])
        optimizer.zero_grad()
        value = loss_of(loss, forward(bx), by)
        value.backward()
        optimizer.step()
        if timer.timed:
            timer.end(device)
            samples += len(by)
            steps += 1
    wall, cpu = timer.timed_s()
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "warmup_s": timer.warmup_s(),
        "steps": steps,
        "samples": samples,
        "loss": value.item(),
    }
