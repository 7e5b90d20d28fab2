"""The LightningModule: any network trained for its task (binary, multi-class or regression)."""

from collections.abc import Callable, Iterable
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn
from torchmetrics import MeanMetric

from backprop_lab.models.tasks import make_task

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


class TaskModel(L.LightningModule):
    """Trains `net` for `task` (see `models/tasks.py`): the loss, metrics and predictions follow it.

    Binary: `BCEWithLogitsLoss` fuses the sigmoid into the loss: it is
    numerically stable and, unlike `BCELoss`, allowed under CUDA autocast
    (mixed precision). Multi-class: cross-entropy on C logits. Regression:
    MSE (or L1, Huber) on standardised targets, metrics in the target's units.

    The optimizer and scheduler arrive as Hydra partials (factories) so the
    configs choose them; they are kept out of the saved hyperparameters, so a
    checkpoint holds only tensors and plain values and loads with
    `torch.load(weights_only=True)`.

    Each step updates torchmetrics objects (the loss's mean and the task's
    scores); each epoch's end computes them (under DDP over every process's
    rows), logs them with `self.log_dict` and resets them. Logging a metric
    object on every step instead costs Lightning's bookkeeping per call, a
    fifth of a small conv net's step (docs/performance.md, case 5).
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        scheduler_monitor: str = "val/loss",
        task: str = "binary",
        num_classes: int = 2,
        loss: str = "mse",
        compile: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.task = make_task(task, num_classes, loss)
        self.loss_fn = self.task.data_loss  # on the data's own targets: what the loss landscape evaluates
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        # One loss mean and one collection of scores per stage: modules, so Lightning moves them with the model.
        self.train_loss, self.val_loss, self.test_loss = MeanMetric(), MeanMetric(), MeanMetric()
        self.train_scores = self.task.scores("train/", train=True)
        self.val_scores = self.task.scores("val/")
        self.test_scores = self.task.scores("test/")

    def setup(self, stage: str) -> None:
        """A regression model takes the target's standardisation from the data, so its metrics are in its units."""
        scale = getattr(self.trainer.datamodule, "target_scale", None)
        if scale is not None:
            self.task.mean, self.task.std = scale
        if self.example_input_array is None:  # a row of zeros, so `logger.tensorboard.log_graph=true` can trace it
            self.example_input_array = torch.zeros(1, *getattr(self.trainer.datamodule, "input_shape", ()))
        if stage == "fit" and self.hparams.compile:
            # The forward pass compiled, as Lightning does for `trainer.fit(torch.compile(model))`: the modules
            # stay as they are, so the state dict keeps the network's own keys and checkpoints load uncompiled.
            self.forward = torch.compile(self.forward)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (or values) of shape (N,), or (N, C) for C classes."""
        return self.task.output(self.net(x))

    def model_step(self, batch: tuple[Tensor, Tensor], stage: str) -> Tensor:
        """The loss of one batch; the stage's loss mean and scores take the batch in."""
        x, y = batch
        logits = self(x)
        loss = self.loss_fn(logits, y)
        getattr(self, f"{stage}_loss").update(loss.detach(), weight=len(y))
        getattr(self, f"{stage}_scores").update(self.task.scored(logits.detach()), self.task.target_for_metrics(y))
        return loss

    def log_epoch(self, stage: str) -> None:
        """The stage's epoch values, computed over all its batches, logged (the losses and main score in the bar)."""
        loss, scores = getattr(self, f"{stage}_loss"), getattr(self, f"{stage}_scores")
        values = {f"{stage}/loss": loss.compute(), **scores.compute()}
        shown = {f"{stage}/loss", f"val/{self.task.main_metric}"}
        # sync_dist: the values are global already (torchmetrics gathers before it computes), so it changes none.
        self.log_dict({k: v for k, v in values.items() if k in shown}, prog_bar=True, sync_dist=True)
        self.log_dict({k: v for k, v in values.items() if k not in shown}, sync_dist=True)
        loss.reset()
        scores.reset()

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self.model_step(batch, "train")

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self.model_step(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self.model_step(batch, "test")

    def on_train_epoch_end(self) -> None:
        self.log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self.log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self.log_epoch("test")

    def predict_step(self, batch: Any, batch_idx: int) -> Tensor:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        return self.task.predict(self(x))

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": self.hparams.scheduler_monitor, "interval": "epoch"},
        }
