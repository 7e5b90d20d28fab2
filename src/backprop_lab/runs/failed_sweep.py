"""How a sweep (`-m`) with a failed job ends: a table of every job and its status, exit code 1, no traceback.

Hydra runs every job of a grid, records a job that raised as failed, and
once the whole batch has run raises the first failed job's exception; it
prints a `CompactHydraException` as its message alone, and a traceback for
anything else. So a job stopped by a `UserError` raises `FailedSweepJob`,
whose message is built when Hydra prints it: by then every job has run, and
the table shows them all, read from their `metrics.json`; a job whose process
was killed (a cancelled SLURM job, the out-of-memory killer) still says
`running` there, and shows as `killed` (or `killed or running` when it ran
on another host), as in the comparison. Searches (the
Optuna sweeper) only read the job's status, so they are unaffected. A job
that fails with any other exception keeps its traceback: that is a bug.
Light on imports (no torch), like everything the entry points use first.
"""

from pathlib import Path

from hydra.errors import CompactHydraException

from backprop_lab.errors import UserError
from backprop_lab.runs.job_folders import job_label, load_summary, load_yaml, numbered_job_dirs
from backprop_lab.runs.summary import describe_status

ERROR_WIDTH = 100  # characters of each job's error shown in the table


def _status(job_dir: Path) -> tuple[str, str]:
    try:
        summary = load_summary(job_dir)
    except UserError:
        return "unreadable metrics.json", ""
    error = str(summary.get("error") or "")
    return describe_status(summary), error if len(error) <= ERROR_WIDTH else error[: ERROR_WIDTH - 3] + "..."


def _overrides(job_dir: Path) -> list[str]:
    try:
        return [str(o) for o in load_yaml(job_dir, "overrides.yaml") if not str(o).startswith("hydra.")]
    except UserError:
        return ["?"]


def job_rows(sweep_dir: Path) -> list[tuple[str, str, str, str]]:
    """(job, status, its overrides that differ between jobs, start of its error) per job folder, in job order."""
    jobs = numbered_job_dirs(sweep_dir)
    overrides = {job: _overrides(job) for job, _ in jobs}
    shared = set.intersection(*(set(o) for o in overrides.values())) if len(jobs) > 1 else set()
    rows = []
    for job, number in jobs:
        status, error = _status(job)
        differing = " ".join(o for o in overrides[job] if o not in shared)
        rows.append((job_label(job.name, number), status, differing, error))
    return rows


def job_table(rows: list[tuple[str, str, str, str]]) -> str:
    """The rows as aligned text under a header."""
    rows = [("job", "status", "overrides", "error"), *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[3]]) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


class FailedSweepJob(CompactHydraException):
    """A sweep job stopped by a `UserError`, or killed (the submitit launchers); printed by Hydra as the jobs' table."""

    def __init__(self, error: Exception, sweep_dir: str | Path) -> None:
        super().__init__(str(error))
        self.error, self.sweep_dir = error, Path(sweep_dir)

    def __reduce__(self) -> tuple[type, tuple[Exception, Path]]:
        """Rebuilt from both arguments: launchers that run jobs in other processes (joblib, submitit) pickle it."""
        return type(self), (self.error, self.sweep_dir)

    def __str__(self) -> str:
        rows = job_rows(self.sweep_dir)
        failed = sum(1 for row in rows if row[1] != "success")
        return (
            f"{failed} of {len(rows)} jobs of the sweep in {self.sweep_dir} did not succeed (each job folder's "
            f"metrics.json has its status and whole error, whichever launcher ran it):\n{job_table(rows)}\n"
            f"Compare the jobs that ran with: python scripts/compare_runs.py {self.sweep_dir}"
        )
