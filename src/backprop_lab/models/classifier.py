"""The LightningModule: any network trained for its task (binary, multi-class or regression)."""

from collections.abc import Callable, Iterable
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn
from torchmetrics import MetricCollection

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

    Every value is logged with `self.log` once per epoch; metrics are
    torchmetrics objects, which Lightning computes, resets and (under DDP)
    gathers across processes.
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
        self.train_metrics = self.task.scores("train/", train=True)
        self.val_metrics = self.task.scores("val/")
        self.test_metrics = self.task.scores("test/")

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

    def model_step(self, batch: tuple[Tensor, Tensor], metrics: MetricCollection, stage: str) -> Tensor:
        """The loss of one batch; updates the stage's metrics and logs both for the epoch."""
        x, y = batch
        logits = self(x)
        loss = self.loss_fn(logits, y)
        metrics.update(self.task.scored(logits.detach()), self.task.target_for_metrics(y))
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(y), sync_dist=True)
        for name, metric in metrics.items():
            self.log(name, metric, on_step=False, on_epoch=True, prog_bar=name == f"val/{self.task.main_metric}")
        return loss

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self.model_step(batch, self.train_metrics, "train")

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self.model_step(batch, self.val_metrics, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self.model_step(batch, self.test_metrics, "test")

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
