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


def job_number(job_dir: Path) -> int | None:
    """The job's number in its sweep (`hydra.job.num` in `.hydra/hydra.yaml`); None when that is missing or damaged.

    Job folders are named by what the sweep varies, so their names do not say
    the order the sweep ran them in. Read as data, nothing resolved.
    """
    try:
        hydra = OmegaConf.to_container(OmegaConf.load(job_dir / ".hydra" / "hydra.yaml"), resolve=False)
        number = hydra["hydra"]["job"]["num"]  # type: ignore[index]
    except Exception:  # missing, not YAML, or another shape: the job just sorts last  # noqa: BLE001
        return None
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def job_label(name: str, number: int | None) -> str:
    """A job as tables show it: its number in the sweep (its folder's name repeats the other columns), else the name."""
    return name if number is None else str(number)


def numbered_job_dirs(sweep_dir: Path) -> list[tuple[Path, int | None]]:
    """Every job folder (a subfolder with `.hydra/config.yaml`) of a multirun folder with its `job_number`, in the
    order the sweep ran them; folders without a number last, by name. Each `hydra.yaml` is read once."""
    folders = (p.parent.parent for p in Path(sweep_dir).glob("*/.hydra/config.yaml"))
    jobs = [(folder, job_number(folder)) for folder in folders]
    return sorted(jobs, key=lambda job: (job[1] is None, job[1] or 0, job[0].name))


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
