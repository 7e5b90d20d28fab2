"""Loggers beyond Lightning's own defaults: MLflow into a local store, W&B offline runs.

Each is an optional extra (`pip install -e ".[mlflow]"`, `".[wandb]"`) chosen
with `logger=mlflow`, `logger=wandb` or `logger=many`; nothing here imports
mlflow or wandb until such a logger is built, so the default start-up does
not pay for them.
"""

import sys


def finish_wandb_run(failed: bool) -> None:
    """End the W&B run this task started, if any, once fit and test are done.

    Lightning leaves the run open until the process exits, and a second
    `WandbLogger` in the same process (the next job of a sweep) would log
    into it instead of starting its own. A run's summary is written when it ends.
    """
    wandb = sys.modules.get("wandb")
    if wandb is not None and wandb.run is not None:
        wandb.finish(exit_code=1 if failed else 0)
