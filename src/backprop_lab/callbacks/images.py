"""Hand a picture (an RGB array) to every logger of the run that can keep one.

Lightning's `Logger` has no image method, and each tracker takes pictures
its own way: TensorBoard as an image summary at a step (a slider), MLflow as
a PNG artifact (one file per step, `<tag>/step_000200.png`), W&B as an image
in the run's history. This is the one place that knows the three; a callback
that draws calls `log_image` and stays the same whichever loggers are chosen.
CSV has no place for a picture and is left out.
"""

import lightning as L
import numpy as np
from lightning.pytorch.loggers import Logger, MLFlowLogger, TensorBoardLogger, WandbLogger

IMAGE_LOGGERS = (TensorBoardLogger, MLFlowLogger, WandbLogger)


def image_loggers(trainer: L.Trainer) -> list[Logger]:
    """The run's loggers that keep pictures."""
    return [logger for logger in trainer.loggers if isinstance(logger, IMAGE_LOGGERS)]


def log_image(trainer: L.Trainer, tag: str, image: np.ndarray, step: int) -> int:
    """Log `image` (H, W, 3, uint8) under `tag` at `step` to each logger that keeps pictures; return how many."""
    loggers = image_loggers(trainer) if trainer.is_global_zero else []
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(tag, image, step, dataformats="HWC")
        elif isinstance(logger, MLFlowLogger):
            logger.experiment.log_image(logger.run_id, image, artifact_file=f"{tag}/step_{step:06d}.png")
        else:
            logger.log_image(key=tag, images=[image], step=step)
    return len(loggers)
