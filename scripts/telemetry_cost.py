"""What the TensorBoard telemetry costs: the default XOR run with all telemetry on, then off, alternately.

    python scripts/telemetry_cost.py                 # 5 runs each way
    python scripts/telemetry_cost.py --repeats 9 optimizer=adam
    python scripts/telemetry_cost.py --off loss_landscape    # the cost of one callback: on vs without it

Each run is `scripts/train.py` in a fresh process, as a user starts it; the
time compared is `wall_time_s` from its `metrics.json` (build, fit and test,
without the interpreter's start-up and imports, which telemetry does not
change). Runs alternate so that a machine getting busier or quieter affects
both sides alike; medians are compared. Extra arguments are Hydra overrides
applied to both sides.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TELEMETRY = ["update_telemetry", "histograms", "decision_boundary", "hparams", "scalars_layout", "loss_landscape"]


def timed_run(run_dir: Path, overrides: list[str]) -> float:
    """Train once in a fresh interpreter; return the run's `wall_time_s`."""
    command = [sys.executable, str(ROOT / "scripts" / "train.py"), f"hydra.run.dir={run_dir}", *overrides]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"run failed ({' '.join(overrides)}):\n{proc.stderr[-2000:]}")
    return json.loads((run_dir / "metrics.json").read_text())["wall_time_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs with telemetry on, and as many off")
    parser.add_argument(
        "--off", action="append", choices=TELEMETRY, help="callbacks to switch off (repeatable; default: all of them)"
    )
    parser.add_argument("--json", type=Path, help="also write the times and the ratio to this JSON file")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for both sides, e.g. trainer.max_epochs=300")
    args = parser.parse_args()
    off = [f"~callbacks.{name}" for name in args.off or TELEMETRY]

    times: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            for side, extra in (("on", []), ("off", off)):
                seconds = timed_run(Path(tmp) / f"{side}{i}", [*args.overrides, *extra])
                times[side].append(seconds)
                print(f"run {i + 1}/{args.repeats} telemetry {side:>3}: {seconds:.2f} s", flush=True)

    on, off_s = statistics.median(times["on"]), statistics.median(times["off"])
    print(f"median wall time, telemetry on:  {on:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['on'])})")
    print(f"median wall time, telemetry off: {off_s:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times['off'])})")
    print(f"{', '.join(args.off or ['telemetry'])} costs {100 * (on / off_s - 1):+.1f}% (on/off = {on / off_s:.3f})")
    if args.json:
        result = {"overrides": args.overrides, "off": args.off or TELEMETRY, "on_s": times["on"], "off_s": times["off"]}
        result |= {"median_on_s": on, "median_off_s": off_s, "ratio": on / off_s}
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
