"""The learning rate under one tag, `lr`, whatever the optimizer: a sweep's lr curves share one chart.

Lightning's `LearningRateMonitor` names the tag after the optimizer's class
(`lr-SGD`, `lr-Adam`, ...) unless a scheduler gives a name, so the lr of a
sweep over optimizers lands on as many charts as there are optimizers, and
it has no setting for the name. This reads each param group's lr at the
epoch's start (the lr the epoch trains with, as
`LearningRateMonitor(logging_interval="epoch")` does) and logs it with
`pl_module.log` as an epoch value: `lr` for the first param group,
`lr/group<i>` for the others. Lightning then hands it to every logger at the
epoch's end and keeps it in `trainer.callback_metrics` (hence `metrics.json`),
like any value the module logs itself.
"""

import lightning as L
from lightning.pytorch.callbacks import Callback


class LearningRate(Callback):
    """Logs the learning rate of each param group as `<name>` (group 0) and `<name>/group<i>` once per epoch."""

    def __init__(self, name: str = "lr") -> None:
        self.name = name

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        for optimizer_index, optimizer in enumerate(trainer.optimizers):
            for group_index, group in enumerate(optimizer.param_groups):
                index = optimizer_index * 1000 + group_index  # groups of several optimizers stay apart
                name = self.name if index == 0 else f"{self.name}/group{index}"
                # The same value on every process: sync_dist averages equal numbers and keeps DDP's advice quiet.
                pl_module.log(name, float(group["lr"]), on_step=False, on_epoch=True, sync_dist=True)
