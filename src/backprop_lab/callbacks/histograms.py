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
"""

import math

import lightning as L
from torch import nn

from backprop_lab.callbacks.cadence import epochs_between
from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback
from backprop_lab.callbacks.watch import watched_parameters
from backprop_lab.runs.interrupts import stop_if_terminated


def bins_for(count: int, most: int) -> int:
    """Bins for a histogram of `count` values: about sqrt(count) + 1, at most `most`."""
    return max(1, min(most, math.isqrt(count) + (count > 1)))


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
        for name, p in self._params:
            stop_if_terminated(trainer)  # a large network's histograms take seconds
            values = p.detach() if kind == "params" else p.grad
            if values is not None and values.numel() == 1:
                writer.add_scalar(f"{kind}/{name}", values.item(), trainer.global_step)
            elif values is not None:
                bins = bins_for(values.numel(), self.bins)
                writer.add_histogram(f"{kind}/{name}", values, trainer.global_step, bins=bins)
