"""What an option costs a run, per epoch and once: `python scripts/option_cost.py callbacks/progress_bar=rich`.

    python scripts/option_cost.py logger=many
    python scripts/option_cost.py --off logger=csv --epochs 10,100 --repeats 5 logger=mlflow

Runs `scripts/train.py` in fresh processes, alternately without the option
(the default config plus `--off`) and with it, at two epoch counts. A run's
`wall_time_s` (build, fit and test, from its metrics.json) is close to
`fixed + per_epoch * epochs`; the slope between the two counts is the cost
per epoch, so one-off costs (importing mlflow, opening its database) drop out
of it and are reported apart as the fixed cost. Medians of `--repeats` runs.
Each run has a pseudo-terminal as its console, as in a user's shell, so
progress bars draw as they would there (Rich draws nothing into a pipe). All
runs share one `paths.log_dir`, and one unmeasured run of each side goes first,
so MLflow's database is created before the timing starts.
"""

import argparse
import json
import os
import pty
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_run(run_dir: Path, overrides: list[str]) -> float:
    """Train once in a fresh interpreter on a pseudo-terminal; return the run's `wall_time_s`."""
    command = [sys.executable, str(ROOT / "scripts" / "train.py"), f"hydra.run.dir={run_dir}", *overrides]
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
    if proc.wait() != 0:
        sys.exit(f"run failed ({' '.join(overrides)}):\n{output[-2000:].decode(errors='replace')}")
    return json.loads((run_dir / "metrics.json").read_text())["wall_time_s"]


def line_fit(short: list[float], long: list[float], epochs: tuple[int, int]) -> tuple[float, float]:
    """(fixed seconds, seconds per epoch) through the medians at the two epoch counts."""
    low, high = statistics.median(short), statistics.median(long)
    per_epoch = (high - low) / (epochs[1] - epochs[0])
    return low - per_epoch * epochs[0], per_epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("option", nargs="+", help="overrides that make the 'with' side, e.g. logger=many")
    parser.add_argument("--off", nargs="*", default=[], help="overrides for the 'without' side only")
    parser.add_argument("--base", nargs="*", default=[], help="overrides for both sides, e.g. optimizer=adam")
    parser.add_argument("--epochs", default="10,60", help="the two epoch counts (default 10,60)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per side and epoch count (default 3)")
    args = parser.parse_args()
    epochs = tuple(int(e) for e in args.epochs.split(","))
    if len(epochs) != 2 or not 0 < epochs[0] < epochs[1] or args.repeats < 1:
        parser.error("--epochs takes two counts, smaller first (e.g. 10,60); --repeats at least 1")

    sides = {"without": args.off, "with": args.option}
    times: dict[tuple[str, int], list[float]] = {(side, e): [] for side in sides for e in epochs}
    with tempfile.TemporaryDirectory() as tmp:
        shared = [f"paths.log_dir={tmp}/logs", *args.base]
        for side, extra in sides.items():  # unmeasured: creates stores, warms file caches
            timed_run(Path(tmp) / f"warmup-{side}", [*shared, *extra, f"trainer.max_epochs={epochs[0]}"])
        for i in range(args.repeats):
            for e in epochs:
                for side, extra in sides.items():
                    seconds = timed_run(Path(tmp) / f"{side}-{e}-{i}", [*shared, *extra, f"trainer.max_epochs={e}"])
                    times[side, e].append(seconds)
                    print(f"round {i + 1}/{args.repeats}, {e:>4} epochs, {side:>7}: {seconds:.2f} s", flush=True)

    fits = {side: line_fit(times[side, epochs[0]], times[side, epochs[1]], epochs) for side in sides}
    for side, (fixed, per_epoch) in fits.items():
        label = " ".join(sides[side]) or "defaults"
        print(f"{side:>7} ({label}): {1000 * per_epoch:.1f} ms/epoch, fixed {fixed:.2f} s")
    (fixed_off, epoch_off), (fixed_on, epoch_on) = fits["without"], fits["with"]
    print(
        f"the option costs {1000 * (epoch_on - epoch_off):+.1f} ms/epoch ({100 * (epoch_on / epoch_off - 1):+.0f}%) "
        f"and {fixed_on - fixed_off:+.2f} s once"
    )


if __name__ == "__main__":
    main()
