"""A Hydra callback that checks the run folder can be written before Hydra tries to create it.

Hydra creates the folder itself, and a path it cannot create (or a full disk)
ends the run with a traceback about `mkdir` or writing `config.yaml`. This
check runs first (Hydra calls `on_run_start` / `on_multirun_start` before it
makes the folder) and says in one paragraph which setting to change. A single
run then locks its folder and moves an earlier run's record aside
(`runs/lock.py`). The extra processes of a run that torchrun or SLURM starts
write no Hydra record into the folder and log to their own file, as those
Lightning starts itself do: otherwise a second process that came first
would leave a `.hydra/` the first one takes for an earlier run's. It
imports neither torch nor Lightning, so it costs nothing when it passes.
"""

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

from backprop_lab.errors import FolderInUse
from backprop_lab.runs.lock import acquire, archive_previous_record
from backprop_lab.runs.name import same_named_values

# Below this much free space Hydra cannot even write the run's config; stop with a clear message instead.
MIN_FREE_BYTES = 1 << 20
# Set in the extra processes of a multi-process run, which share the first process's folder and lock.
RANK_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK", "SLURM_PROCID")


def unwritable_reason(folder: Path) -> str | None:
    """Why `folder` cannot be created or written, or None if it can."""
    ancestor = folder.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{ancestor} is not writable (permissions or a read-only file system)"
    free = shutil.disk_usage(ancestor).free
    if free < MIN_FREE_BYTES:
        return f"the file system holding {ancestor} is full ({free} bytes free)"
    return None


def _stop_if_unwritable(folder: str, setting: str) -> None:
    reason = unwritable_reason(Path(folder))
    if reason is None:
        return
    print(
        f"error: Cannot write the run folder {folder}: {reason}. Nothing was run. Choose a folder you can write "
        f"with {setting}=<folder> (or paths.log_dir=<folder>), or fix the permissions or free some space, then run "
        "again.",
        file=sys.stderr,
    )
    sys.exit(2)


def _stop_if_jobs_share_a_folder(config: DictConfig) -> None:
    """A sweep's job folders are named by what it varies: two values that name alike would write one folder."""
    params = config.hydra.sweeper.get("params") or {}
    task = [*config.hydra.overrides.task, *(f"{key}={value}" for key, value in params.items())]
    same = same_named_values(task)
    if same is None:
        return
    first, second, name = same
    what = f"lists {first} twice" if first == second else f"values {first} and {second} name their jobs alike"
    print(
        f"error: The sweep {what}, so two jobs would write one folder, {Path(config.hydra.sweep.dir) / name} (a "
        "sweep's job folders are named by what it varies; characters other than letters, digits and ._=,+-[]~ "
        "become _). Nothing was run. Give each value once, in a form that differs in those characters; to repeat "
        "a run, vary the seed (seed=1,2,3).",
        file=sys.stderr,
    )
    sys.exit(2)


def _extra_process(config: DictConfig) -> None:
    """An extra process writes no `.hydra/` and logs to `<job>_ddp_process_<rank>.log`, as Lightning's own launch
    sets it (it passes `hydra.output_subdir=null`: then nothing is left to change)."""
    if config.hydra.output_subdir is None:
        return
    rank = os.environ.get("RANK") or next(os.environ[name] for name in RANK_VARIABLES if name in os.environ)
    with read_write(config.hydra), open_dict(config.hydra):
        config.hydra.output_subdir = None
        config.hydra.job.name = f"{config.hydra.job.name}_ddp_process_{rank}"


class CheckRunFolder(Callback):
    """Stops a run or sweep whose output folder cannot be written, before anything is created."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        _stop_if_unwritable(config.hydra.run.dir, "hydra.run.dir")
        if any(os.environ.get(name, "0") != "0" for name in RANK_VARIABLES):
            _extra_process(config)
            return
        folder = Path(config.hydra.run.dir)
        try:
            acquire(folder)
        except FolderInUse as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        archive_previous_record(folder)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _stop_if_unwritable(config.hydra.sweep.dir, "hydra.sweep.dir")
        _stop_if_jobs_share_a_folder(config)
