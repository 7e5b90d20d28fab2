"""Benchmark the template against a plain PyTorch loop: `python scripts/benchmark.py [--smoke]`.

A thin entry point; the cases live in `backprop_lab.benchmark`. Prints the
Markdown table and writes `benchmark.json` and `benchmark.md` to `--out`.
Exits 1 when a template run and its plain twin end at different losses.
"""

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases",
        default="xor,throughput,cold_start",
        help="comma-separated, from: xor (1), throughput (2 and 4), cold_start (3); numbers work too",
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per side, alternating (default 5)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the benchmark works, not to time")
    parser.add_argument("--accelerator", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, the same on both sides (default 1)")
    parser.add_argument("--out", type=Path, default=Path("logs/benchmark"), help="folder for the JSON and Markdown")
    args = parser.parse_args()

    from backprop_lab.benchmark import CASES

    by_number = {str(i): name for i, name in enumerate(CASES, start=1)} | {"4": "throughput"}
    names = list(dict.fromkeys(by_number.get(c.strip(), c.strip()) for c in args.cases.split(",") if c.strip()))
    unknown = [n for n in names if n not in CASES]
    if unknown or args.repeats < 1 or args.threads < 1:
        parser.error(
            f"--cases takes {', '.join(CASES)} (or 1-4), got {', '.join(unknown)}"
            if unknown
            else "--repeats and --threads must be at least 1"
        )

    from backprop_lab.benchmark.cases import run_cases
    from backprop_lab.benchmark.report import write
    from backprop_lab.benchmark.runner import SMOKE, Settings

    settings = Settings(ROOT, args.repeats, args.threads, args.accelerator)
    if args.smoke:
        settings.sizes = SMOKE
    rows = run_cases(names, settings)
    recorded = {**asdict(settings), "root": str(ROOT), "cases": names, "smoke": args.smoke}
    json_path, md_path = write(args.out, rows, recorded)
    print(md_path.read_text())
    print(f"Wrote {json_path} and {md_path}")
    mismatched = [r["measure"] for r in rows if r.get("losses_match") is False]
    if mismatched:
        print(
            f"error: the template and the plain loop ended at different losses in: {'; '.join(mismatched)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
