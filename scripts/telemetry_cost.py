"""What the TensorBoard telemetry costs: the default XOR run with all telemetry on, then off, alternately.

    python scripts/telemetry_cost.py                 # 5 rounds
    python scripts/telemetry_cost.py --repeats 9 optimizer=adam
    python scripts/telemetry_cost.py --off loss_landscape    # the cost of one callback: on vs without it

Each run is `scripts/train.py` in a fresh process, as a user starts it; the
time compared is `wall_time_s` from its `metrics.json` (build, fit and test,
without the interpreter's start-up and imports, which telemetry does not
change). Runs alternate in rounds (`benchmarks/rounds.py`) so that a machine
getting busier or quieter affects both sides alike; the cost is the median of
the per-round ratios. Extra arguments are Hydra overrides applied to both sides.
"""

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/ sits beside the package, not inside it

from benchmarks.rounds import alternate, paired_ratio  # noqa: E402
from benchmarks.train_runs import train_wall_time  # noqa: E402

TELEMETRY = ["update_telemetry", "histograms", "decision_boundary", "hparams", "scalars_layout", "loss_landscape"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds: one run with telemetry on, one off")
    parser.add_argument(
        "--off", action="append", choices=TELEMETRY, help="callbacks to switch off (repeatable; default: all of them)"
    )
    parser.add_argument("--json", type=Path, help="also write the times and the ratio to this JSON file")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for both sides, e.g. trainer.max_epochs=300")
    args = parser.parse_args()
    off = [f"~callbacks.{name}" for name in args.off or TELEMETRY]

    with tempfile.TemporaryDirectory() as tmp:

        def side(name: str, extra: list[str]) -> Callable[[int], float]:
            return lambda i: train_wall_time(Path(tmp) / f"{name}{i}", [*args.overrides, *extra])

        times = alternate({"on": side("on", []), "off": side("off", off)}, args.repeats, lambda s: f"telemetry {s}")

    on, off_s = statistics.median(times["on"]), statistics.median(times["off"])
    ratio = paired_ratio(times["on"], times["off"])
    print(f"median wall time, telemetry on:  {on:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['on'])})")
    print(f"median wall time, telemetry off: {off_s:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['off'])})")
    what = ", ".join(args.off or ["telemetry"])
    print(f"{what} costs {100 * (ratio - 1):+.1f}% (on/off = {ratio:.3f}, the median of the per-round ratios)")
    if args.json:
        result = {"overrides": args.overrides, "off": args.off or TELEMETRY, "on_s": times["on"], "off_s": times["off"]}
        result |= {"median_on_s": on, "median_off_s": off_s, "ratio": ratio, "ratio_of_medians": on / off_s}
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
