"""What the TensorBoard telemetry costs: the default XOR run with all telemetry on, then off, alternately.

    python scripts/telemetry_cost.py                 # 5 rounds
    python scripts/telemetry_cost.py --repeats 9 optimizer=adam
    python scripts/telemetry_cost.py --off loss_landscape    # the cost of one callback: on vs without it
    python scripts/telemetry_cost.py --case digits           # a real model: digits, digits_cnn or wide

Each run is `scripts/train.py` in a fresh process, as a user starts it; the
times compared are `wall_time_s` and `cpu_time_s` from its `metrics.json`
(build, fit and test, without the interpreter's start-up and imports, which
telemetry does not change). On a busy machine the CPU time is the steadier
of the two: waiting for a core adds wall time, not CPU time. Runs alternate
in rounds (`benchmarks/rounds.py`) so that a machine getting busier or
quieter affects both sides alike; the cost is the median of the per-round
ratios. Extra arguments are Hydra overrides applied to both sides.

`--case` picks the run: `xor` (the default config), `digits`
(`experiment=digits`), `digits_cnn` (`experiment=digits_cnn`) or `wide`, the
benchmark's realistic case (`benchmarks/step_cases.py`: a 64-256-256-10 MLP
on a million rows of blobs, batch 4096, one thread, its 70 batches).
"""

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from backprop_lab.config.cli import whole_number

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/ sits beside the package, not inside it

from benchmarks.case_configs import wide_overrides  # noqa: E402
from benchmarks.rounds import alternate, paired_ratio  # noqa: E402
from benchmarks.settings import Sizes  # noqa: E402
from benchmarks.train_runs import train_times  # noqa: E402


def case_overrides(case: str) -> list[str]:
    """The Hydra overrides of a named case."""
    if case == "wide":
        sizes = Sizes()
        batches = sizes.throughput_warmup + (sizes.wide_steps or 0)
        return [
            "torch_threads=1", f"data.batch_size={sizes.batch_size}", "trainer.max_epochs=1",
            f"+trainer.limit_train_batches={batches}", *wide_overrides(sizes),
        ]  # fmt: skip
    return [] if case == "xor" else [f"experiment={case}"]


CASES = ("xor", "digits", "digits_cnn", "wide")
TELEMETRY = ["update_telemetry", "histograms", "decision_boundary", "hparams", "scalars_layout", "loss_landscape"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=whole_number(1, 5), default=5, help="rounds: one run with telemetry on, one off"
    )
    parser.add_argument(
        "--off", action="append", choices=TELEMETRY, help="callbacks to switch off (repeatable; default: all of them)"
    )
    parser.add_argument("--case", choices=CASES, default="xor", help="the run to measure (default: xor)")
    parser.add_argument("--json", type=Path, help="also write the times and the ratio to this JSON file")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for both sides, e.g. trainer.max_epochs=300")
    args = parser.parse_args()
    off = [f"~callbacks.{name}" for name in args.off or TELEMETRY]
    args.overrides = [*case_overrides(args.case), *args.overrides]

    cpu: dict[str, list[float]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as tmp:

        def side(name: str, extra: list[str]) -> Callable[[int], float]:
            def run(i: int) -> float:
                wall, cpu_s = train_times(Path(tmp) / f"{name}{i}", [*args.overrides, *extra])
                cpu[name].append(cpu_s)
                return wall

            return run

        times = alternate({"on": side("on", []), "off": side("off", off)}, args.repeats, lambda s: f"telemetry {s}")

    what = ", ".join(args.off or ["telemetry"])
    result = {"case": args.case, "overrides": args.overrides, "off": args.off or TELEMETRY}
    for label, runs in (("wall", times), ("cpu", cpu)):
        on, off_s = statistics.median(runs["on"]), statistics.median(runs["off"])
        ratio = paired_ratio(runs["on"], runs["off"])
        for side_name, median in (("on", on), ("off", off_s)):
            listed = ", ".join(f"{t:.2f}" for t in runs[side_name])
            print(f"median {label} time, telemetry {side_name}: {median:.2f} s  (runs: {listed})")
        print(f"{what} costs {100 * (ratio - 1):+.1f}% of {label} time (on/off = {ratio:.3f}, per-round median)")
        suffix = "" if label == "wall" else "_cpu"
        result |= {f"on_s{suffix}": runs["on"], f"off_s{suffix}": runs["off"], f"ratio{suffix}": ratio}
        result |= {f"median_on_s{suffix}": on, f"median_off_s{suffix}": off_s, f"ratio_of_medians{suffix}": on / off_s}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
