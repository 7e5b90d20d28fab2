"""`scripts/train.py` in a fresh interpreter, as a user starts it; its `wall_time_s` read back.

`wall_time_s` in `metrics.json` is build, fit and test, without the
interpreter's start-up and imports. `console="pty"` gives the run a
pseudo-terminal, as in a user's shell, so progress bars draw as they would
there (Rich draws nothing into a pipe).
"""

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scripts" / "train.py"


def _on_pty(command: list[str]) -> tuple[int, str]:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    output = bytearray()
    while True:  # drain the console, or the child blocks once the terminal's buffer is full
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return proc.wait(), output.decode(errors="replace")


def train_times(run_dir: Path, overrides: list[str], console: str = "pipe") -> tuple[float, float]:
    """Train once into `run_dir`; return the run's `wall_time_s` and `cpu_time_s`. Exits with the output if it fails."""
    command = [sys.executable, str(TRAIN), f"hydra.run.dir={run_dir}", *overrides]
    if console == "pty":
        code, output = _on_pty(command)
    else:
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        code, output = proc.returncode, proc.stderr
    if code != 0:
        sys.exit(f"run failed ({' '.join(overrides)}):\n{output[-2000:]}")
    record = json.loads((run_dir / "metrics.json").read_text())
    return record["wall_time_s"], record["cpu_time_s"]


def train_wall_time(run_dir: Path, overrides: list[str], console: str = "pipe") -> float:
    """Train once into `run_dir`; return the run's `wall_time_s`."""
    return train_times(run_dir, overrides, console)[0]
