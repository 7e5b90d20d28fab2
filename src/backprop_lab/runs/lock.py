"""One run at a time in a run folder, and the record of an earlier run in it kept.

Two runs writing one folder leave a `metrics.json` describing the other's
config, or delete each other's best checkpoint. So the first takes a lock
file (`.run.lock`, holding its pid and host) and the second is refused; a
lock left by a process that no longer exists (`kill -9`) is taken over with
a warning. Both happen in `on_run_start` of the Hydra callback
(`run_folder.CheckRunFolder`), before Hydra writes `.hydra/config.yaml`, so
a refused run overwrites nothing.

A run started in a folder that already holds a record (`hydra.run.dir=R
resume=R`, as a SLURM requeue does) first moves that record (`.hydra/`,
`metrics.json`, `lr_find.*`) to `attempts/<n>/`; the checkpoints stay where
they are, for the resumed run to continue from.
"""

import atexit
import json
import os
import socket
import sys
from pathlib import Path

from backprop_lab.errors import FolderInUse

LOCK_NAME = ".run.lock"
RECORD = (".hydra", "metrics.json", "lr_find.json", "lr_find.png")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _warn(message: str) -> None:
    # Hydra has not set up logging yet when its on_run_start callbacks run.
    print(f"warning: {message}", file=sys.stderr)


def _read(lock: Path) -> dict:
    try:
        holder = json.loads(lock.read_text())
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def acquire(folder: Path) -> None:
    """Take the folder's lock for this process, or raise `FolderInUse`; released when the process exits."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    me = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(lock)
            pid, host = holder.get("pid"), holder.get("host")
            if isinstance(pid, int) and host == me["host"] and not _alive(pid):
                _warn(f"Run folder {folder} was locked by process {pid}, which no longer exists: taking it over.")
                lock.unlink(missing_ok=True)
                continue
            raise FolderInUse(
                f"Run folder {folder} is in use by another run (process {pid} on {host}, see {lock}). Two runs in "
                "one folder overwrite each other's config, metrics.json and checkpoints, so this one was not "
                "started. Choose another folder with hydra.run.dir=<folder>, or wait for that run to end. If you "
                f"are sure no run uses the folder (e.g. it ran on another machine that crashed), delete {lock}."
            ) from None
        with os.fdopen(fd, "w") as f:
            json.dump(me, f)
        atexit.register(release, lock, me["pid"])
        return


def release(lock: Path, pid: int) -> None:
    """Remove the lock if this process still holds it."""
    if _read(lock).get("pid") == pid:
        lock.unlink(missing_ok=True)


def archive_previous_record(folder: Path) -> Path | None:
    """Move an earlier run's record out of the way, to `attempts/<n>/`; return where, or None if there was none."""
    present = [folder / name for name in RECORD if (folder / name).exists()]
    if not (folder / ".hydra" / "config.yaml").is_file() or not present:
        return None
    attempts = folder / "attempts"
    n = 1
    while (attempts / str(n)).exists():
        n += 1
    target = attempts / str(n)
    target.mkdir(parents=True)
    for path in present:
        os.replace(path, target / path.name)
    names = ", ".join(p.name for p in present)
    _warn(f"Run folder {folder} already held a run: its record ({names}) is now in {target}.")
    return target


def latest_attempt(folder: Path) -> Path | None:
    """The newest `attempts/<n>/` of a run folder, if any."""
    attempts = folder / "attempts"
    numbered = [p for p in attempts.glob("*") if p.name.isdigit()] if attempts.is_dir() else []
    return max(numbered, key=lambda p: int(p.name)) if numbered else None
