"""Benchmark the template against Lightning alone and a plain PyTorch loop: `python scripts/benchmark.py`.

    python scripts/benchmark.py --cases wide,digits_cnn --repeats 5 --markdown logs/benchmark.md
    python scripts/benchmark.py --cases throughput,wide --compile     # also every side compiled
    python scripts/benchmark.py --accelerator gpu                      # on a CUDA machine
    python scripts/benchmark.py --cases sweep --repeats 3              # the grid: serial against joblib
    python scripts/benchmark.py --smoke --repeats 1                    # tiny sizes: checks it runs

A thin entry point; the cases live in `benchmarks/` at the repository's
root (not in the installed package). Prints the Markdown table; exits 1 when
a side ends at another loss than the plain loop (they train the same math
from the same weights).
"""

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from backprop_lab.config.cli import whole_number

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks/ sits beside the package, not inside it

from benchmarks import CASES, DEFAULT_CASES  # noqa: E402


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--cases",
        default=",".join(DEFAULT_CASES),
        help="comma-separated, from: xor (1), throughput (2), cold_start (3), wide (4), digits_cnn (5), sweep (6); "
        "numbers work too (default: 1-5)",
    )
    parser.add_argument(
        "--repeats", type=whole_number(1, 5), default=5, help="rounds; each runs every side once (default 5)"
    )
    parser.add_argument("--accelerator", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--compile", action="store_true", help="cases 2 and 4 also with every side's network compiled")
    parser.add_argument("--markdown", type=Path, help="write the table to this file too")
    parser.add_argument("--json", type=Path, help="write every run, the machine and its load to this file")
    parser.add_argument(
        "--threads", type=whole_number(1, 1), default=1, help="torch threads, the same on every side (default 1)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the benchmark works, not to time")
    parser.add_argument(
        "--one-at-a-time",
        action="store_true",
        help="cases 1, 2 and 4: run a round's sides one after the other, not taking turns step by step",
    )
    args = parser.parse_args(argv)
    by_number = {str(i): name for i, name in enumerate(CASES, start=1)}
    args.cases = list(dict.fromkeys(by_number.get(c.strip(), c.strip()) for c in args.cases.split(",") if c.strip()))
    unknown = [n for n in args.cases if n not in CASES]
    if unknown:
        parser.error(f"--cases takes {', '.join(CASES)} (or 1-{len(CASES)}), got {', '.join(unknown)}")
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")
    return args


def main() -> int:
    args = parse()
    from benchmarks.cases import run_cases
    from benchmarks.report import write
    from benchmarks.settings import SMOKE, Settings

    settings = Settings(ROOT, args.repeats, args.threads, args.accelerator, args.compile)
    settings.turns = not args.one_at_a_time
    if args.smoke:
        settings.sizes = SMOKE
    try:
        rows = run_cases(args.cases, settings)
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    recorded = {**asdict(settings), "root": str(ROOT), "cases": args.cases, "smoke": args.smoke}
    print(write(rows, recorded, args.markdown, args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
