"""Lightning alone: the plainest `LightningModule` a user would write, in a `Trainer` with every extra off.

No template code: the same `nn.Sequential`, loss, optimizer, seed and
batches as the plain loop (`hand_built.py`), `training_step` returns the
loss and logs it with `self.log` as a user would, and Lightning's automatic
optimization runs zero_grad, backward and step. The `Trainer` has no logger,
checkpoint, progress bar, summary or validation. The template's ratio over
this floor is what the template adds; the floor's ratio over the plain loop
is what any template built on Lightning's `Trainer` pays.
"""

from collections.abc import Iterator
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from benchmarks.hand_built import Batch, batch_count, batches, loss_fn, loss_of, make_optimizer, sequential
from benchmarks.step_clock import StepClock


class PlainModule(L.LightningModule):
    """The network and its loss; Lightning runs the optimizer."""

    def __init__(self, net: nn.Module, spec: dict[str, Any]) -> None:
        super().__init__()
        self.net = net
        self.loss = loss_fn(spec)
        self.spec = spec

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, y = batch
        loss = loss_of(self.loss, self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return make_optimizer(self.parameters(), self.spec)


class Batches:
    """The plain loop's batches, with the length Lightning asks of a loader."""

    def __init__(self, x: Tensor, y: Tensor, spec: dict[str, Any]) -> None:
        self.x, self.y, self.spec = x, y, spec

    def __len__(self) -> int:
        return batch_count(len(self.x), self.spec)

    def __iter__(self) -> Iterator[Batch]:
        return batches(self.x, self.y, self.spec)


def bare_trainer(accelerator: str, clock: StepClock) -> L.Trainer:
    """One epoch with no logger, checkpoint, progress bar, summary or validation: `clock` its only callback."""
    return L.Trainer(
        accelerator=accelerator,
        devices=1,
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[clock],
    )


def train(spec: dict[str, Any], x: Tensor, y: Tensor) -> dict[str, Any]:
    """Train as the plain loop would, inside a bare `Trainer`; time the steps after `warmup`."""
    torch.manual_seed(spec["seed"])
    net = sequential(spec, x.shape[1])
    if spec.get("compile"):
        net = torch.compile(net)
    # The data on the device from the start, as the plain loop has it: the batches then need no copying.
    device = torch.device("cuda" if spec["accelerator"] == "gpu" else "cpu")
    x, y = x.to(device), y.to(device)
    clock = StepClock(spec["warmup"], spec.get("turn"))
    trainer = bare_trainer(spec["accelerator"], clock)
    trainer.fit(PlainModule(net, spec), train_dataloaders=Batches(x, y, spec))
    return clock.reading(trainer)
