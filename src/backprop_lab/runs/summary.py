"""The run folder's record: `metrics.json`, written atomically, with the run's status.

Hydra creates the folder and writes `.hydra/config.yaml`; Lightning writes the
event files and checkpoints into it. What neither does is say how the run
ended and what it reached, in one file a script can read: that is this module.
"""

import json
import math
import os
import socket
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from backprop_lab.errors import TrainingDiverged, WriteFailed
from backprop_lab.runs.atomic import write_json_atomic

SUCCESS, FAILED, INTERRUPTED = "success", "failed", "interrupted"
# Written at the start: a run killed with `kill -9` (or still going) keeps it; see `describe_status`.
RUNNING = "running"
# Space held back from the start of a run for its final record: freed only to write that record.
RESERVE_NAME, RESERVE_BYTES = ".metrics.reserve", 64 * 1024

__all__ = [
    "FAILED",
    "INTERRUPTED",
    "RUNNING",
    "SUCCESS",
    "RunSummary",
    "describe_status",
    "reserve_space",
    "write_json_atomic",
]


def check_finite(metrics: dict[str, float]) -> None:
    """Raise `TrainingDiverged` naming every val or test metric that is NaN or infinite."""
    scored = {name: value for name, value in metrics.items() if name.startswith(("val/", "test/"))}
    bad = [f"{name}={value}" for name, value in scored.items() if not math.isfinite(value)]
    if bad:
        raise TrainingDiverged(
            f"The run's metrics are not finite: {', '.join(bad)}, so it did not succeed. The model's outputs or "
            "the metrics overflowed float32 (about 3.4e38): values near 1e20 square to more. Scale the targets or "
            "features down (e.g. to thousands), or lower the learning rate. The checkpoints are kept."
        )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunSummary:
    """What `metrics.json` holds: how the run ended, its final metrics, where its checkpoints are."""

    status: str = FAILED
    metrics: dict[str, float] = field(default_factory=dict)
    epochs: int = 0
    global_step: int = 0
    best_checkpoint: str | None = None
    last_checkpoint: str | None = None
    # The checkpoint this run resumed from (train) or evaluated (eval).
    loaded_checkpoint: str | None = None
    # The config's `tags`, for filtering runs (`scripts/compare_runs.py --tag NAME`).
    tags: list[str] = field(default_factory=list)
    # Set when EarlyStopping ended the fit: {"stopped_epoch", "reason", "message"} (Lightning's own values).
    early_stopping: dict[str, Any] | None = None
    wall_time_s: float = 0.0
    # CPU seconds of this process (every thread) over the same span: what the run cost, whatever else the machine ran.
    cpu_time_s: float = 0.0
    error: str | None = None
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    _t0: float = field(default_factory=time.perf_counter, repr=False)
    _cpu0: float = field(default_factory=time.process_time, repr=False)

    def finish(self, status: str, error: BaseException | None = None) -> None:
        """End the record with `status`; a success whose val or test metrics are not finite raises instead.

        Such a run did not succeed (a regression on values near 1e20 ends with `val/mse=inf`); the caller
        records it as failed, with this message.
        """
        if status == SUCCESS:
            check_finite(self.metrics)
        self.status = status
        self.error = None if error is None else f"{type(error).__name__}: {error}"
        self.finished_at = _now()
        self.wall_time_s = round(time.perf_counter() - self._t0, 3)
        self.cpu_time_s = round(time.process_time() - self._cpu0, 3)

    def save(self, output_dir: Path) -> Path:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        path = Path(output_dir) / "metrics.json"
        write_json_atomic(path, data)
        return path

    def save_or_report(self, output_dir: Path) -> Path | None:
        """Save the final record; if even `metrics.json` cannot be written, say so on stderr.

        On a full disk the space kept by `reserve_space` is given back first,
        so the record of a run that filled the disk can still say so. A run
        that succeeded but cannot record it raises.
        """
        reserve = Path(output_dir) / RESERVE_NAME
        try:
            try:
                return self.save(output_dir)
            except WriteFailed:
                if not reserve.is_file():
                    raise
                reserve.unlink()
                return self.save(output_dir)
            finally:
                reserve.unlink(missing_ok=True)
        except WriteFailed as err:
            print(
                f"error: the run's record metrics.json could not be written, so it does not say that this run "
                f"ended {self.status!r}. {err}",
                file=sys.stderr,
            )
            if self.status == SUCCESS:
                raise
            return None

    def table(self) -> str:
        """The final metrics as a small aligned table for the console."""
        if not self.metrics:
            return "(no metrics)"
        width = max(len(name) for name in self.metrics)
        rows = [f"{name:<{width}}  {value:.6g}" for name, value in sorted(self.metrics.items())]
        rule = "-" * max(len(r) for r in rows)
        return "\n".join([rule, *rows, rule])


def reserve_space(output_dir: Path) -> None:
    """Keep a little space for the final `metrics.json`, in case the run fills the disk (see `save_or_report`)."""
    with (Path(output_dir) / RESERVE_NAME).open("wb") as f:
        f.write(b"\0" * RESERVE_BYTES)
        f.flush()
        os.fsync(f.fileno())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def describe_status(summary: dict[str, Any]) -> str:
    """The status to show for a run: a `running` record is `running` or `killed` when its pid can be checked here.

    A run killed with `kill -9` (or by the out-of-memory killer) never gets to
    write its final status; its record still says `running`. On the host that
    ran it, a dead pid tells the two apart; elsewhere it is `killed or running`.
    """
    status = str(summary.get("status", "?"))
    if status != RUNNING:
        return status
    pid, host = summary.get("pid"), summary.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return "killed or running"
    return "running" if _alive(pid) else "killed"


def read_summary(run_dir: Path) -> dict[str, Any]:
    """Read a run folder's `metrics.json` back."""
    return json.loads((Path(run_dir) / "metrics.json").read_text())
