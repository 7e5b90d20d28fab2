"""What an option costs a run, per epoch and once: `python scripts/option_cost.py callbacks/progress_bar=rich`.

    python scripts/option_cost.py logger=many
    python scripts/option_cost.py --off logger=csv --epochs 10,100 --repeats 5 logger=mlflow

Runs `scripts/train.py` in fresh processes (`benchmarks/train_runs.py`), in
rounds (`benchmarks/rounds.py`) without the option (the default config plus
`--off`) and with it, at two epoch counts. A run's
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
import statistics
import sys
import tempfile
from pathlib import Path

from backprop_lab.config.cli import whole_number

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/ sits beside the package, not inside it

from benchmarks.rounds import alternate  # noqa: E402
from benchmarks.train_runs import train_wall_time  # noqa: E402


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
    parser.add_argument(
        "--repeats", type=whole_number(1, 3), default=3, help="runs per side and epoch count (default 3)"
    )
    args = parser.parse_args()
    epochs = tuple(int(e) for e in args.epochs.split(","))
    if len(epochs) != 2 or not 0 < epochs[0] < epochs[1] or args.repeats < 1:
        parser.error("--epochs takes two counts, smaller first (e.g. 10,60); --repeats at least 1")

    sides = {"without": args.off, "with": args.option}
    with tempfile.TemporaryDirectory() as tmp:
        shared = [f"paths.log_dir={tmp}/logs", *args.base]

        def run(side: str, e: int, name: str) -> float:
            overrides = [*shared, *sides[side], f"trainer.max_epochs={e}"]
            return train_wall_time(Path(tmp) / name, overrides, console="pty")

        for side in sides:  # unmeasured: creates stores, warms file caches
            run(side, epochs[0], f"warmup-{side}")
        runs = {(s, e): (lambda i, s=s, e=e: run(s, e, f"{s}-{e}-{i}")) for e in epochs for s in sides}
        times = alternate(runs, args.repeats, label=lambda key: f"{key[1]:>4} epochs, {key[0]:>7}")

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
