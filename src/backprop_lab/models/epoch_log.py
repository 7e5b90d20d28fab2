"""Epoch values to the Trainer and the loggers, without `self.log`'s per-call bookkeeping.

`LightningModule.log` prepares every value for reduction over steps,
device moves and syncing: on Lightning 2.6 each call also deep-copies the
value's metadata (`_ResultMetric.to`). On XOR, where an epoch is ten tiny
steps, the six epoch values of training and validation cost more through
`self.log` than the ten steps themselves. These values are already reduced
over the epoch, and across processes (torchmetrics' `compute()`, the
tally's all-reduce), so they need none of it. They go where `self.log`
would put them, through public APIs: into `trainer.callback_metrics`, which
checkpoints, early stopping, LR schedulers and `metrics.json` read; and to
every logger with Lightning's `epoch` scalar, at the step Lightning would
log them, followed by `logger.save()` (TensorBoard flushes its event file
once an epoch, as with `self.log`). The test stage keeps `self.log`, so
`trainer.test` returns its metrics.
"""

import lightning as L
from torch import Tensor

from backprop_lab.callbacks.tensorboard_base import log_scalars


def log_epoch_values(trainer: L.Trainer, values: dict[str, Tensor]) -> None:
    """Record `values` (0-d tensors, one per name) as this epoch's, as `self.log(on_epoch=True)` would."""
    trainer.callback_metrics.update({name: value.detach() for name, value in values.items()})
    if trainer.sanity_checking or not trainer.loggers:
        return  # Lightning logs nothing during the sanity check and forgets its values after it
    scalars = {name: float(value) for name, value in values.items()}
    scalars["epoch"] = trainer.current_epoch
    log_scalars(trainer, scalars, trainer.global_step)
    for logger in trainer.loggers:
        logger.save()
