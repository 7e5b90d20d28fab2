"""Errors a user can fix: shown as one paragraph, without a traceback, with a non-zero exit code.

The entry points in `scripts/` catch `UserError` and print its message; any
other exception is a bug and keeps its traceback.
"""

import sys
from collections.abc import Callable
from typing import TypeVar

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

T = TypeVar("T")


class UserError(Exception):
    """A problem in the input (config, checkpoint, run folder) or the run; the message names it and the fix."""


class CheckpointError(UserError):
    """A checkpoint that is missing, unreadable, unsafe to load or made for another model."""


class MissingPackage(UserError, ModuleNotFoundError):
    """A chosen logger or callback needs an optional package that is not installed."""


class TrainingDiverged(UserError, RuntimeError):
    """The loss became NaN or infinite; training stopped before the bad step changed any weight."""


def run_reporting_user_errors(task: Callable[[DictConfig], T], cfg: DictConfig) -> T:
    """Run an entry point's task; a `UserError` becomes its one paragraph on stderr and exit code 2.

    In a Hydra multirun the error is raised on instead, so Hydra records that
    job as failed and goes on with the next (see README, "Sweeps").
    """
    try:
        return task(cfg)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
            raise
        sys.exit(2)
