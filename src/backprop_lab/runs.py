"""The run folder's record: `metrics.json`, written atomically, with the run's status.

Hydra creates the folder and writes `.hydra/config.yaml`; Lightning writes the
event files and checkpoints into it. What neither does is say how the run
ended and what it reached, in one file a script can read: that is this module.
"""

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SUCCESS, FAILED, INTERRUPTED = "success", "failed", "interrupted"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON so a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    error: str | None = None
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    def finish(self, status: str, error: BaseException | None = None) -> None:
        self.status = status
        self.error = None if error is None else f"{type(error).__name__}: {error}"
        self.finished_at = _now()
        self.wall_time_s = round(time.perf_counter() - self._t0, 3)

    def save(self, output_dir: Path) -> Path:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        path = Path(output_dir) / "metrics.json"
        write_json_atomic(path, data)
        return path

    def table(self) -> str:
        """The final metrics as a small aligned table for the console."""
        if not self.metrics:
            return "(no metrics)"
        width = max(len(name) for name in self.metrics)
        rows = [f"{name:<{width}}  {value:.6g}" for name, value in sorted(self.metrics.items())]
        rule = "-" * max(len(r) for r in rows)
        return "\n".join([rule, *rows, rule])


def read_summary(run_dir: Path) -> dict[str, Any]:
    """Read a run folder's `metrics.json` back."""
    return json.loads((Path(run_dir) / "metrics.json").read_text())
