"""A base for callbacks that need TensorBoard's writer (images, histograms, hparams).

Scalars go through any Lightning logger, but images, histograms and the
HParams plugin's summaries exist only in TensorBoard. With `logger=csv` or
`logger=none` such a callback says so once and then does nothing.
"""

import logging

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.compat.proto.summary_pb2 import Summary
from torch.utils.tensorboard import SummaryWriter

log = logging.getLogger(__name__)


def add_summary(writer: SummaryWriter, summary: Summary, step: int) -> None:
    """Write a ready-made summary as one event at `step`.

    SummaryWriter has no public way to do it; Lightning's own
    `TensorBoardLogger.log_hyperparams` uses the same call.
    """
    writer._get_file_writer().add_summary(summary, step)


def log_scalars(trainer: L.Trainer, metrics: dict[str, float], step: int) -> None:
    """Send scalars to every logger of the run at `step`: to TensorBoard as one event, to others by `log_metrics`.

    Not through `self.log`: these values belong to one optimizer step, not
    to an epoch, and Lightning's per-call bookkeeping would cost more than a
    small network's step for the dozens of per-layer values logged at once.
    Not through TensorBoard's `log_metrics` either: it writes an event per
    value, and the writer's thread checksums every event in pure Python: the
    conv net's 53 values a step, logged 40 times, took about 0.2 s of CPU
    that way and take 0.03 s as one event a step. A logger's `prefix` is not
    applied here.
    """
    if not trainer.is_global_zero:
        return
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            values = [Summary.Value(tag=tag, simple_value=value) for tag, value in metrics.items()]
            add_summary(logger.experiment, Summary(value=values), step)
        else:
            logger.log_metrics(metrics, step=step)


class TensorBoardCallback(Callback):
    """Finds the run's TensorBoard writer; `what` names the output in the one-time notice."""

    what = "TensorBoard output"

    def __init__(self) -> None:
        self._notified = False

    def tensorboard(self, trainer: L.Trainer) -> TensorBoardLogger | None:
        """The first TensorBoard logger of the run, or None (said once)."""
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                return logger
        self.skip_once(f"the run has no TensorBoard logger (logger=tensorboard), so no {self.what} is logged.")
        return None

    def writer(self, trainer: L.Trainer) -> SummaryWriter | None:
        """The run's SummaryWriter; None without a TensorBoard logger, and in every process but the first of a
        multi-process run (Lightning gives those a stand-in that writes nothing and has no file writer)."""
        logger = self.tensorboard(trainer)
        return None if logger is None or not trainer.is_global_zero else logger.experiment

    def skip_once(self, reason: str) -> None:
        """Log why this callback does nothing, once per run rather than once per epoch."""
        if not self._notified:
            self._notified = True
            log.warning("%s: %s", type(self).__name__, reason)
