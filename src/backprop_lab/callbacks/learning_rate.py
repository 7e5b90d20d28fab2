"""The learning rate under one tag, `lr`, whatever the optimizer: a sweep's lr curves share one chart.

Lightning's `LearningRateMonitor` names the tag after the optimizer's class
(`lr-SGD`, `lr-Adam`, ...) unless a scheduler gives a name, so the lr of a
sweep over optimizers lands on as many charts as there are optimizers, and
it has no setting for the name. This logs each optimizer step's lr once per
epoch, at the epoch's start (as `LearningRateMonitor(logging_interval="epoch")`
does): `lr` for the first param group, `lr/group<i>` for the others, into
every logger and into `trainer.callback_metrics` (hence `metrics.json`).
"""

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from backprop_lab.callbacks.tensorboard_base import log_scalars


class LearningRate(Callback):
    """Logs the learning rate of each param group as `<name>` (group 0) and `<name>/group<i>` once per epoch."""

    def __init__(self, name: str = "lr") -> None:
        self.name = name

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        values: dict[str, float] = {}
        for optimizer_index, optimizer in enumerate(trainer.optimizers):
            for group_index, group in enumerate(optimizer.param_groups):
                index = optimizer_index * 1000 + group_index  # groups of several optimizers stay apart
                values[self.name if index == 0 else f"{self.name}/group{index}"] = float(group["lr"])
        if not values:
            return
        trainer.callback_metrics.update({tag: torch.tensor(value) for tag, value in values.items()})
        if trainer.loggers:
            log_scalars(trainer, values, trainer.global_step)
