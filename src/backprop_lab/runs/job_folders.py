"""Reading a sweep's job folders back: which there are, and each one's files, refused clearly when damaged.

A job folder holds `.hydra/config.yaml` and `.hydra/overrides.yaml` (Hydra)
and `metrics.json` (runs/summary.py). They come from outside the running program:
a file that was edited, truncated or copied half-way is named with the fix,
not met with a JSON or YAML traceback. Imports neither torch nor tensorboard.
"""

import json
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from backprop_lab.errors import RunFolderError

NO_METRICS = "no metrics.json"


def job_order(path: Path) -> tuple[int, str]:
    """Hydra numbers jobs 0, 1, ...: sort by number, other names last."""
    return (int(path.name), "") if path.name.isdigit() else (1 << 30, path.name)


def job_dirs(sweep_dir: Path) -> list[Path]:
    """Every job folder (a subfolder with `.hydra/config.yaml`) of a multirun folder, in job order."""
    return sorted((p.parent.parent for p in Path(sweep_dir).glob("*/.hydra/config.yaml")), key=job_order)


def _unreadable(path: Path, job_dir: Path, err: Exception, what: str) -> RunFolderError:
    reason = str(err).splitlines()[0] if str(err) else type(err).__name__
    return RunFolderError(
        f"{path} cannot be read ({reason}); it should be {what}, as training writes it. Restore it, or move the "
        f"job folder {job_dir} out of the sweep folder, then run the comparison again."
    )


def load_yaml(job_dir: Path, name: str) -> Any:
    """`.hydra/<name>` of a job folder, as OmegaConf loads it."""
    path = job_dir / ".hydra" / name
    try:
        return OmegaConf.load(path)
    except Exception as err:  # YAML errors come in many types; all mean a damaged file
        raise _unreadable(path, job_dir, err, "the YAML file Hydra wrote") from err


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def load_summary(job_dir: Path) -> dict[str, Any]:
    """A job's `metrics.json` (status `no metrics.json` without one); a damaged one raises `RunFolderError`."""
    path = job_dir / "metrics.json"
    if not path.is_file():
        return {"status": NO_METRICS}
    try:
        summary = json.loads(path.read_text())
    except (ValueError, OSError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _unreadable(path, job_dir, err, "a JSON object") from err
    metrics = summary.get("metrics", {}) if isinstance(summary, dict) else None
    if not isinstance(metrics, dict) or not all(_is_number(v) for v in metrics.values()):
        raise _unreadable(path, job_dir, ValueError("not an object whose metrics are numbers"), "a JSON object")
    return summary
