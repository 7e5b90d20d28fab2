"""Case 6: the README's optimizer grid as one sweep, its jobs one after the other and side by side.

The same `scripts/train.py -m experiment=optimizer_grid` command, once with
Hydra's basic launcher (the default: one job after the other) and once with
`hydra/launcher=joblib` running one job per `--threads` torch threads on
this machine's cores. Every job must end with the same metrics on both
sides (the benchmark stops otherwise): side by side changes the time, never
the result. Needs the joblib extra (`pip install -e ".[joblib]"`).
"""

import json
import os
import sys
import tempfile
from pathlib import Path
from statistics import median

from benchmarks.processes import timed_run
from benchmarks.report import fmt, row
from benchmarks.rounds import alternate, paired_ratios
from benchmarks.settings import Settings


def job_metrics(sweep_dir: Path) -> dict[str, dict]:
    """Each job folder's final metrics, by folder (named by what the sweep varies)."""
    return {p.parent.name: json.loads(p.read_text())["metrics"] for p in sweep_dir.glob("*/metrics.json")}


def sweep_case(settings: Settings) -> list[dict]:
    cores = os.cpu_count() or 1
    n_jobs = max(1, cores // settings.threads)
    train_py = str(settings.root / "scripts" / "train.py")
    command = [sys.executable, train_py, "-m", "experiment=optimizer_grid", *settings.common]
    command += list(settings.sizes.sweep_overrides)
    launchers = {"serial": [], "joblib": ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={n_jobs}"]}
    results: dict[str, list[dict[str, dict]]] = {name: [] for name in launchers}

    def sweep(name: str) -> float:
        with tempfile.TemporaryDirectory(prefix="benchmark-sweep-") as sweep_dir:
            _, wall, _ = timed_run([*command, f"hydra.sweep.dir={sweep_dir}", *launchers[name]], settings.root)
            results[name].append(job_metrics(Path(sweep_dir)))
        return wall

    times = alternate({name: (lambda i, name=name: sweep(name)) for name in launchers}, settings.repeats)
    jobs = len(results["serial"][0])
    if not jobs or results["joblib"] != results["serial"]:
        raise RuntimeError("the grid's jobs ended with other metrics side by side (joblib) than one after the other")
    speedup = paired_ratios(times["serial"], times["joblib"])
    grid = f"5. Optimizer grid, {jobs} jobs, {settings.threads} torch thread(s) each"
    return [
        row(f"{grid}: one after the other (Hydra's basic launcher)", "s", {"template": times["serial"]}),
        row(
            f"{grid}: side by side (hydra/launcher=joblib hydra.launcher.n_jobs={n_jobs})",
            "s",
            {"template": times["joblib"]},
            f"serial / joblib: {fmt(median(speedup))}x ({fmt(min(speedup))}-{fmt(max(speedup))}) on {cores} cores; "
            "the same metrics in every job",
        ),
    ]
