"""Histograms of every watched parameter and its gradient, every `every_n_epochs` epochs.

Scalar norms say how much a layer moves; a histogram says how its values
spread: saturating tanh units, dead ReLUs, a gradient that is all near zero.
Tags: `params/<param>` and `grads/<param>` (e.g. `params/hidden1.weight`),
for every parameter of the watched module (`watch.py`: `net`, or the whole
module where it has none), conv and norm layers included.
The first histograms are the initial weights (before any step). In every
`every_n_epochs`-th epoch, the raw gradient of its last step is taken just before
`optimizer.step()` (Lightning clears gradients before validation, so they are
gone by the epoch's end), and the weights at the end of the epoch. The step
of each histogram is the number of optimizer steps taken before it, as for
the `updates/` scalars: the gradient of step k is shown at k, the weights
that step produced at k + 1.

A tensor of n values gets at most about sqrt(n) + 1 bins (a 16-value layer
5): 30 bins over 8 values are mostly empty, and TensorBoard draws them as
spiky ridges. A one-value tensor (XOR's output bias) is logged as a scalar
under the same tag instead: TensorBoard draws a histogram of one value as a
block one unit wide around it, whatever the value. `max_points` bounds the
histograms a run writes (`cadence.py`): a long run stretches the interval.

The histograms are computed with torch and written as one event per
drawing, holding every tensor's (`histogram`), rather than one
`add_histogram` each: that went through NumPy in float64, about 0.4 ms a
tensor of Python overhead, and its sum of squares woke a BLAS thread per
core for a tensor of 10^4 values or more, which then spun for about 0.1 s
of CPU (docs/telemetry.md).
"""

import math

import lightning as L
import torch
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
from torch import nn

from backprop_lab.callbacks.cadence import epochs_between
from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback, add_summary
from backprop_lab.callbacks.watch import watched_parameters
from backprop_lab.runs.interrupts import stop_if_terminated


def bins_for(count: int, most: int) -> int:
    """Bins for a histogram of `count` values: about sqrt(count) + 1, at most `most`."""
    return max(1, min(most, math.isqrt(count) + (count > 1)))


def histogram(values: torch.Tensor, bins: int) -> HistogramProto:
    """The histogram TensorBoard's `add_histogram` makes of `values`, with equal-width bins, computed by torch.

    The bins span [min, max] (a constant tensor: its value +- 0.5, as in
    NumPy). TensorBoard keeps right edges only, so an empty bucket comes
    first to hold the leftmost edge, and the empty bins at both ends are left
    out, as `add_histogram` does.
    """
    flat = values.detach().reshape(-1).double()
    low, high = flat.min().item(), flat.max().item()
    left, right = (low - 0.5, high + 0.5) if low == high else (low, high)
    counts = torch.histc(flat, bins, left, right)
    filled = counts.nonzero().flatten()
    first, last = int(filled[0]), int(filled[-1])
    edges = torch.linspace(left, right, bins + 1, dtype=torch.float64)
    return HistogramProto(
        min=low, max=high, num=flat.numel(), sum=flat.sum().item(), sum_squares=flat.dot(flat).item(),
        bucket_limit=edges[first : last + 2].tolist(), bucket=[0.0, *counts[first : last + 1].tolist()],
    )  # fmt: skip


class ParameterHistograms(TensorBoardCallback):
    """Writes weight and gradient histograms to TensorBoard at an epoch interval."""

    what = "weight or gradient histogram"

    def __init__(self, every_n_epochs: int, bins: int, max_points: int | None = None, root: str = "net") -> None:
        # No defaults for the choices: configs/callbacks/histograms.yaml holds them, `config/checks.py` checks them.
        super().__init__()
        # Equal-width bins: TensorBoard's default exponential buckets made the histograms a large share
        # of a run's event file (docs/performance.md), and the event writer checksums every byte in
        # pure Python, competing with training for the interpreter.
        self.bins, self.every_n_epochs, self.max_points = bins, every_n_epochs, max_points
        self.interval = every_n_epochs
        self.root = root
        self._params: list[tuple[str, nn.Parameter]] = []

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._params = watched_parameters(pl_module, self.root)

    def on_before_optimizer_step(self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: object) -> None:
        if trainer.is_last_batch and self._due(trainer):
            self._write(trainer, "grads")

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._due(trainer):
            self._write(trainer, "params")

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.interval = epochs_between(trainer, self.every_n_epochs, self.max_points)
        self._write(trainer, "params")

    def _due(self, trainer: L.Trainer) -> bool:
        return (trainer.current_epoch + 1) % self.interval == 0

    def _write(self, trainer: L.Trainer, kind: str) -> None:
        writer = self.writer(trainer)
        if writer is None:
            return
        summary = Summary()
        for name, p in self._params:
            stop_if_terminated(trainer)  # a large network's histograms take seconds
            values = p.detach() if kind == "params" else p.grad
            if values is not None and values.numel() == 1:
                summary.value.add(tag=f"{kind}/{name}", simple_value=values.item())
            elif values is not None:
                summary.value.add(tag=f"{kind}/{name}", histo=histogram(values, bins_for(values.numel(), self.bins)))
        if summary.value:
            add_summary(writer, summary, trainer.global_step)
