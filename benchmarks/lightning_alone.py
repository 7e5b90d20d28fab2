"""Lightning alone: the plainest `LightningModule` a user would write, in a `Trainer` with every extra off.

No template code in the module or the training: the same network, loss,
optimizer and seed as the plain loop (`hand_built.py`); `training_step`
returns the loss and logs it with `self.log` as a user would, and
Lightning's automatic optimization runs zero_grad, backward and step. The
`Trainer` has no logger, checkpoint, progress bar, summary or validation.
The batches come from the very `DataLoader` the template's data module
builds (its `TensorRows`, `stacked`, batch size, shuffle and seeded
generator; XOR's `Passes`), so the two sides differ by the template's own
code, not by their data path. The template's ratio over this floor is what
the template adds; the floor's ratio over the plain loop is what any
template built on Lightning's `Trainer` pays.
"""

from typing import Any

import lightning as L
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, SequentialSampler
from torchmetrics import Metric
from torchmetrics.classification import BinaryAccuracy, MulticlassAccuracy

from backprop_lab.data.tensors import Passes, TensorRows, stacked

from benchmarks.hand_built import Batch, loader, loss_fn, loss_of, make_optimizer, sequential
from benchmarks.step_clock import StepClock


class PlainModule(L.LightningModule):
    """The network and its loss; Lightning runs the optimizer.

    With `log_accuracy` in the spec it also tracks the training accuracy as
    Lightning's documentation shows it (a torchmetrics object updated every
    step and logged for the epoch), as the template does: the floor under
    the template's own logging.
    """

    def __init__(self, net: nn.Module, spec: dict[str, Any]) -> None:
        super().__init__()
        self.net = net
        self.loss = loss_fn(spec)
        self.spec = spec
        self.accuracy = accuracy(spec["out_features"]) if spec.get("log_accuracy") else None

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        x, y = batch
        logits = self.net(x)
        loss = loss_of(self.loss, logits, y)
        self.log("train_loss", loss)
        if self.accuracy is not None:
            scores = logits.detach()
            scores = torch.sigmoid(scores.squeeze(-1)) if scores.shape[-1] == 1 else torch.softmax(scores, dim=-1)
            self.accuracy.update(scores, y.long())
            self.log("train_acc", self.accuracy, on_step=False, on_epoch=True)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return make_optimizer(self.parameters(), self.spec)


def accuracy(out_features: int) -> Metric:
    """torchmetrics' accuracy, as the template's tasks build it: binary (one logit) or over C classes."""
    if out_features == 1:
        return BinaryAccuracy(validate_args=False)
    return MulticlassAccuracy(out_features, average="micro", validate_args=False)


def template_loader(x: Tensor, y: Tensor, spec: dict[str, Any]) -> DataLoader:
    """The template's training loader over these rows; with `passes`, XOR's full batch that many times an epoch."""
    passes = spec.get("passes", 1)
    if passes == 1:
        return loader(x, y, spec, TensorRows, stacked)
    rows = TensorRows(x, y)
    batches = Passes(SequentialSampler(rows), spec.get("batch_size") or len(rows), passes=passes)
    return DataLoader(rows, batch_sampler=batches, collate_fn=stacked)


def bare_trainer(accelerator: str, clock: StepClock, spec: dict[str, Any] | None = None) -> L.Trainer:
    """No logger, checkpoint, progress bar, summary or validation: `clock` its only callback.

    The spec's `epochs`, `steps` (a cap) and `max_batches` an epoch, as the template's trainer has them.
    """
    spec = spec or {}
    return L.Trainer(
        accelerator=accelerator,
        devices=1,
        max_epochs=spec.get("epochs", 1),
        max_steps=spec.get("steps") or -1,
        limit_train_batches=spec.get("max_batches") or 1.0,
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
    net = sequential(spec, x.shape[1:])
    if spec.get("compile"):
        net = torch.compile(net)
    # The data on the device from the start, as the plain loop has it: the batches then need no copying.
    device = torch.device("cuda" if spec["accelerator"] == "gpu" else "cpu")
    x, y = x.to(device), y.to(device)
    clock = StepClock(spec["warmup"], spec.get("turn"))
    trainer = bare_trainer(spec["accelerator"], clock, spec)
    trainer.fit(PlainModule(net, spec), train_dataloaders=template_loader(x, y, spec))
    return clock.reading(trainer)
