"""The template against scikit-learn's baselines: `python scripts/compare_sklearn.py [--seeds 0 1 2 3 4]`.

Trains experiment=iris, wine, digits, breast_cancer and diabetes for every
seed and fits LogisticRegression / Ridge on the same splits (see
`backprop_lab.analysis.sklearn_baseline`). Prints a Markdown table, writes it to
`--out`, and exits 1 if a data set's mean is below its floor.
"""

import argparse
import logging
import sys
from pathlib import Path

from backprop_lab.analysis.sklearn_baseline import EXPERIMENTS, compare, markdown_table
from backprop_lab.config.cli import whole_number
from backprop_lab.errors import reports_user_errors


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=whole_number(0, 0), nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--out", type=Path, default=Path("logs/compare_sklearn.md"), help="where to write the table")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows = compare(args.experiments, args.seeds)
    table = markdown_table(rows, args.seeds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    print(table)
    print(f"Written to {args.out}")
    return 0 if all(row.passes for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
