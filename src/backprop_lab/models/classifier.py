"""The LightningModule: any `nn.Sequential` trained for its task (binary, multi-class or regression)."""

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from lightning.pytorch.utilities.warnings import PossibleUserWarning
from torch import Tensor, nn
from torchmetrics import MeanMetric

from backprop_lab.models.epoch_log import log_epoch_values
from backprop_lab.models.fast_hooks import FastHookNames
from backprop_lab.models.tally import TrainTally
from backprop_lab.models.tasks import make_task

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]
EVAL_STAGES = ("val", "test")


@contextlib.contextmanager
def epoch_values_already_synced() -> Iterator[None]:
    """Silence, while a task fits or tests, Lightning's advice to log this model's epoch values with `sync_dist`.

    Under DDP the epoch values `TaskModel` logs are already global: torchmetrics'
    `compute()` gathers every process's state first. Lightning cannot tell and
    recommends `sync_dist=True`, which would all-reduce the equal numbers a
    second time; its warning is wrong for these names only. Scoped to the task,
    so importing the model changes no global warnings filter.
    """
    advice = r"It is recommended to use `self.log\('(train|val|test)/"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", advice, PossibleUserWarning)
        yield


class TaskModel(FastHookNames):
    """Trains `net` for `task` (see `models/tasks.py`): the loss, metrics, tally and predictions follow it.

    Binary: `BCEWithLogitsLoss` fuses the sigmoid into the loss: it is
    numerically stable and, unlike `BCELoss`, allowed under CUDA autocast
    (mixed precision). Probabilities (`sigmoid(logits)`) are computed only
    for the metrics and for predictions. Multi-class: cross-entropy on C
    logits. Regression: MSE (or L1, Huber) on standardised targets, metrics
    in the target's own units.

    The optimizer and scheduler arrive as Hydra partials (factories) so the
    configs choose them; they are kept out of the saved hyperparameters, so a
    checkpoint holds only tensors and plain values and loads with
    `torch.load(weights_only=True)`.

    Metrics are updated every step and logged once per epoch: a per-step
    `self.log` costs more than the whole XOR step. Training and validation
    values skip even the per-epoch `self.log` (see `models/epoch_log.py`);
    test values go through it, so `trainer.test` returns them. Validation and test use
    torchmetrics; training uses `TrainTally`, a few tensor ops per step
    (see `models/tally.py` for why). Under DDP each process updates them
    with its share of the rows and `compute()` combines the shares across
    processes, so every logged epoch value is global.
    """

    # `torch.compile(net)` once fit starts with `compile=True` (see `setup`).
    compiled_net: nn.Module | None = None

    def __init__(
        self,
        net: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        scheduler_monitor: str = "val/loss",
        task: str | None = "binary",
        num_classes: int = 2,
        loss: str = "mse",
        compile: bool = False,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.task = make_task(task or "binary", num_classes, loss)
        self.loss_fn = self.task.data_loss  # on the data's targets, for the loss landscape
        self._optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.scheduler_monitor = scheduler_monitor
        # The training tally, and one loss mean and one score collection per
        # evaluation stage: attributes, so Lightning moves them with the module.
        self.train_tally = TrainTally(self.task.correct if self.task.has_accuracy else None)
        for stage in EVAL_STAGES:
            setattr(self, f"{stage}_loss", MeanMetric())
            setattr(self, f"{stage}_scores", self.task.scores(f"{stage}/"))

    def setup(self, stage: str) -> None:
        """Give the module an example input (one all-zeros row) so `logger.tensorboard.log_graph=true` can trace it.

        A regression task also takes the target's standardisation, so its metrics are in the target's units.
        """
        datamodule = self.trainer.datamodule
        width = getattr(datamodule, "num_features", None)
        if self.example_input_array is None and width is not None:
            self.example_input_array = torch.zeros(1, width)
        scale = getattr(datamodule, "target_scale", None)
        if scale is not None:
            self.task.mean, self.task.std = scale
        if stage == "fit" and self.hparams.compile:  # eval and predict, a few batches, stay uncompiled
            self.compile_net()

    def compile_net(self) -> None:
        """Run the network through `torch.compile` from now on.

        The compiled wrapper is kept off the module's registry, so the state
        dict keeps the network's own keys (no `_orig_mod.`) and checkpoints
        load into an uncompiled model. (`self.net.compile()` would keep them
        too, but compiles nothing for an `nn.Sequential` of torch's own
        layers: pytorch/pytorch#150915.)
        """
        if self.compiled_net is None:
            object.__setattr__(self, "compiled_net", torch.compile(self.net))

    def forward(self, x: Tensor) -> Tensor:
        """Logits (or values) of shape (N,), or (N, C) for C classes."""
        net = self.net if self.compiled_net is None else self.compiled_net
        return self.task.output(net(x))

    def _shared_step(self, batch: tuple[Tensor, Tensor], stage: str) -> Tensor:
        x, y = batch
        logits = self(x)
        loss = self.task.loss_fn(logits, self.task.target(y))
        getattr(self, f"{stage}_loss").update(loss.detach(), weight=y.numel())
        getattr(self, f"{stage}_scores").update(self.task.scored(logits.detach()), self.task.target_for_metrics(y))
        return loss

    def _reset(self, stage: str) -> None:
        getattr(self, f"{stage}_loss").reset()
        getattr(self, f"{stage}_scores").reset()

    def _log_epoch(self, stage: str) -> None:
        values = {f"{stage}/loss": getattr(self, f"{stage}_loss").compute()}
        values.update(getattr(self, f"{stage}_scores").compute())
        if stage == "test":
            self.log_dict(values)
        else:
            log_epoch_values(self.trainer, values)
        self._reset(stage)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x, y = batch
        logits = self(x)
        target = self.task.target(y)
        loss = self.task.loss_fn(logits, target)
        self.train_tally.update(loss.detach(), logits.detach(), target)
        return loss

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._shared_step(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._shared_step(batch, "test")

    def predict_step(self, batch: Any, batch_idx: int) -> Tensor:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        return self.task.predict(self(x))

    def on_train_epoch_start(self) -> None:
        self.train_tally.reset()

    def on_validation_epoch_start(self) -> None:
        # The sanity check runs validation steps before training: start clean.
        self._reset("val")

    def on_test_epoch_start(self) -> None:
        self._reset("test")

    def on_train_epoch_end(self) -> None:
        log_epoch_values(self.trainer, self.train_tally.compute("train/"))
        self.train_tally.reset()

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def use_optimizer(self, optimizer: OptimizerFactory) -> None:
        """Build the optimizer from `optimizer` from the next fit on (the LR finder's suggested lr, say)."""
        self._optimizer_factory = optimizer

    def configure_optimizers(self) -> Any:
        optimizer = self._optimizer_factory(self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": self.scheduler_monitor, "interval": "epoch"},
        }


# The name configs and checkpoints written before the other tasks existed use.
BinaryClassifier = TaskModel
