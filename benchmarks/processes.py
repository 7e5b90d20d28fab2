"""Each side of a case in its own process: the worker command, its result, its wall and CPU time.

The sides of one round run one after the other (`worker`), or all at once taking turns step by step
(`workers_taking_turns`, see `turns.py`).
"""

import contextlib
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
from benchmarks.turns import Seat, WorkerStopped, hand_out_turns
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
    return result_of(proc.stdout, wall)


def result_of(stdout: str, wall: float) -> dict[str, Any]:
    line = next(line for line in stdout.splitlines() if line.startswith(RESULT_MARK))
    result = json.loads(line[len(RESULT_MARK) :])
    return {**result, "process_s": wall - result.get("waited_s", 0.0)}


def workers_taking_turns(specs: dict[str, dict[str, Any]], settings: Settings) -> dict[str, dict[str, Any]]:
    """Start every side's worker at once; they take turns step by step (`turns.py`). Each side's result.

    `process_s` is each worker's wall time less its waits for its turn.
    """
    seats: dict[str, Seat] = {}
    procs: dict[str, subprocess.Popen] = {}
    started: dict[str, float] = {}
    walls: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="benchmark-") as folder, contextlib.ExitStack() as files:

        def exited(key: str) -> None:
            code = procs[key].wait(timeout=600)
            walls[key] = time.perf_counter() - started[key]
            if code != 0:
                stderr = (Path(folder) / key / "stderr").read_text()[-3000:]
                raise RuntimeError(f"benchmark worker {key!r} failed with exit code {code}:\n{stderr}")

        try:
            for key, spec in specs.items():
                (Path(folder) / key).mkdir()
                go_r, go_w = os.pipe()
                ready_r, ready_w = os.pipe()
                seats[key] = Seat(go_w, ready_r)
                full = {**worker_spec(spec, settings, f"{folder}/{key}/run"), "turn_fds": [go_r, ready_w]}
                out, err = (files.enter_context(open(Path(folder) / key / name, "w")) for name in ("stdout", "stderr"))
                command = [sys.executable, "-m", "benchmarks.worker", json.dumps(full)]
                started[key] = time.perf_counter()
                procs[key] = subprocess.Popen(
                    command, cwd=settings.root, env=_env(), stdout=out, stderr=err, pass_fds=(go_r, ready_w)
                )
                os.close(go_r)
                os.close(ready_w)
            try:
                hand_out_turns(seats, time.monotonic() + 1800, exited)
            except WorkerStopped as stop:
                exited(stop.key)
                raise
            return {key: result_of((Path(folder) / key / "stdout").read_text(), walls[key]) for key in specs}
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            for seat in seats.values():
                os.close(seat.go_fd)
                os.close(seat.ready_fd)
