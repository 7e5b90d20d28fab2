"""Lightning's own floor: the least a `LightningModule` can cost over the plain loop, nothing of ours added.

Two modules of the plainest kind, on the same network, data, optimizer and
seed as the plain side, run by a `Trainer` with every extra off (no logger,
checkpoint, progress bar, summary or validation):

- `automatic`: `training_step` returns the loss and Lightning runs
  zero_grad, backward and step (its automatic optimization, as the template does);
- `manual`: `training_step` runs the article's zero_grad / backward / step
  itself through Lightning's manual-optimization calls (`self.optimizers()`,
  `self.manual_backward`), which keep mixed precision, DDP and the hooks working.

The template's ratio over this floor is what the template adds; the floor's
ratio over the plain loop is what any template built on Lightning pays.
"""

from collections.abc import Callable, Iterator
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from backprop_lab.benchmark.plain import batches, make_optimizer
from backprop_lab.benchmark.template import StepClock
from backprop_lab.models.nets import mlp

Batch = tuple[Tensor, Tensor]


class AutomaticModule(L.LightningModule):
    """The network and its loss; Lightning runs the optimizer."""

    def __init__(self, net: nn.Module, optimizer: Callable[[Any], torch.optim.Optimizer]) -> None:
        super().__init__()
        self.net = net
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.make_optimizer = optimizer

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, y = batch
        return self.loss_fn(self.net(x).squeeze(-1), y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.make_optimizer(self.parameters())


class ManualModule(AutomaticModule):
    """The same, with the optimizer run by hand in `training_step`."""

    def __init__(self, net: nn.Module, optimizer: Callable[[Any], torch.optim.Optimizer]) -> None:
        super().__init__(net, optimizer)
        self.automatic_optimization = False

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        optimizer = self.optimizers()
        optimizer.zero_grad()
        loss = super().training_step(batch, batch_idx)
        self.manual_backward(loss)
        optimizer.step()
        return loss.detach()


MODULES = {"automatic": AutomaticModule, "manual": ManualModule}


class Batches:
    """The plain side's batches, with the length Lightning asks of a loader."""

    def __init__(self, x: Tensor, y: Tensor, spec: dict[str, Any]) -> None:
        self.x, self.y, self.spec = x, y, spec
        size = spec.get("batch_size") or len(x)
        self.length = spec.get("steps") or -(-len(x) // size)

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Batch]:
        if self.spec.get("steps"):
            return ((self.x, self.y) for _ in range(self.length))
        return batches(self.x, self.y, self.spec.get("batch_size") or len(self.x), self.spec["seed"])


def train(spec: dict[str, Any], x: Tensor, y: Tensor) -> dict[str, Any]:
    """Train as the plain side would, inside a bare `Trainer`; time the steps after `warmup`."""
    torch.manual_seed(spec["seed"])
    net = mlp(x.shape[1], spec["hidden"], spec["activation"])

    def optimizer(params: Any) -> torch.optim.Optimizer:
        return make_optimizer(params, spec["optimizer"], spec["optimizer_kwargs"])

    module = MODULES[spec["optimization"]](net, optimizer)
    # The data on the device from the start, as the plain side has it: the batches then need no copying.
    device = torch.device("cuda" if spec["accelerator"] == "gpu" else "cpu")
    x, y = x.to(device), y.to(device)
    clock = StepClock(spec["warmup"])
    trainer = L.Trainer(
        accelerator=spec["accelerator"],
        devices=1,
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        callbacks=[clock],
    )
    trainer.fit(module, train_dataloaders=Batches(x, y, spec))
    return clock.reading(trainer)
