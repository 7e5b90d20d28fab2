"""A Hydra callback that checks the run folder can be written before Hydra tries to create it.

Hydra creates the folder itself, and a path it cannot create ends the run
with a traceback about `mkdir`. This check runs first (Hydra calls
`on_run_start` / `on_multirun_start` before it makes the folder) and says in
one paragraph which setting to change. It imports neither torch nor
Lightning, so it costs nothing when it passes.
"""

import os
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


def unwritable_reason(folder: Path) -> str | None:
    """Why `folder` cannot be created or written, or None if it can."""
    ancestor = folder.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} is not writable (permissions or a read-only file system)"
    return None


def _stop_if_unwritable(folder: str, setting: str) -> None:
    reason = unwritable_reason(Path(folder))
    if reason is None:
        return
    print(
        f"error: Cannot write the run folder {folder}: {reason}. Nothing was run. Choose a folder you can write "
        f"with {setting}=<folder> (or paths.log_dir=<folder>), or fix the permissions, then run again.",
        file=sys.stderr,
    )
    sys.exit(2)


class CheckRunFolder(Callback):
    """Stops a run or sweep whose output folder cannot be written, before anything is created."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        _stop_if_unwritable(config.hydra.run.dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _stop_if_unwritable(config.hydra.sweep.dir, "hydra.sweep.dir")
