"""Each side of a case in its own process: the worker command, its result, its wall and CPU time."""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.settings import Settings
from benchmarks.worker import RESULT_MARK

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    """The children import `benchmarks` from this checkout, whatever the current directory."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def timed_run(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; return it with its wall time and its CPU time (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed with exit code {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc, wall, cpu


def worker_spec(spec: dict[str, Any], settings: Settings, output_dir: str) -> dict[str, Any]:
    """A side's spec with what every worker needs: its output folder, the configs, threads and accelerator."""
    spec = {**spec, "output_dir": output_dir, "configs": str(settings.root / "configs")}
    return {**spec, "threads": settings.threads, "accelerator": settings.accelerator}


def worker(spec: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Run one side of one case in a fresh interpreter (`benchmarks/worker.py`); return its result."""
    with tempfile.TemporaryDirectory(prefix="benchmark-") as output_dir:
        command = [sys.executable, "-m", "benchmarks.worker", json.dumps(worker_spec(spec, settings, output_dir))]
        proc, wall, _ = timed_run(command, settings.root)
    line = next(line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK))
    return {**json.loads(line[len(RESULT_MARK) :]), "process_s": wall}
