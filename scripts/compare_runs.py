"""Compare the jobs of a sweep: `python scripts/compare_runs.py logs/train/multiruns/<timestamp>`.

Writes `comparison.md` (one row per job) and `comparison.png` (loss curves)
into that folder; the work lives in `backprop_lab.analysis.reports`. When the jobs
share their initial weights and saved their paths (callback loss_landscape),
also `landscape_paths.png`: every job's path on one shared plane
(`backprop_lab.analysis.landscape_paths`).
`--tag NAME` (repeatable) keeps only the jobs tagged with every NAME given; with
it, a folder of single runs compares too: `compare_runs.py logs/train/runs --tag baseline`.
"""

import argparse
import sys
from pathlib import Path

from backprop_lab.analysis.landscape_paths import write_landscape_paths
from backprop_lab.analysis.reports import write_comparison
from backprop_lab.errors import reports_user_errors


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a multirun folder, e.g. logs/train/multiruns/<timestamp>")
    parser.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="NAME",
        help="only jobs whose config's tags include NAME (repeat for several: all must match)",
    )
    args = parser.parse_args(argv)
    if not args.sweep_dir.is_dir():
        parser.error(
            f"sweep_dir {args.sweep_dir} is not a folder: pass a multirun folder such as "
            "logs/train/multiruns/<timestamp>"
        )
    table, picture = write_comparison(args.sweep_dir, args.tag)
    print(table.read_text())
    print(f"Wrote {table} and {picture}")
    paths = write_landscape_paths(args.sweep_dir)
    print(f"Wrote {paths}" if isinstance(paths, Path) else f"No landscape_paths.png: {paths}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
