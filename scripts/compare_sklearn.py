"""The template against scikit-learn's baselines: `python scripts/compare_sklearn.py [--seeds 0 1 2 3 4]`.

Trains experiment=iris, wine, digits, breast_cancer and diabetes for every
seed and fits LogisticRegression / Ridge on the same splits (see
`backprop_lab.analysis.sklearn_baseline`). Prints a Markdown table, writes it to
`--out`, and exits 1 if a data set's mean is below its floor.

Your own data: pass its Hydra overrides, and only that config is compared
(no floor), on the splits the template's own data module makes:

    python scripts/compare_sklearn.py data=csv data.path=my.csv data.target=label --seeds 0 1 2
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
    parser.add_argument(
        "--experiments", nargs="+", choices=list(EXPERIMENTS), help="default: all, or none with overrides"
    )
    parser.add_argument("overrides", nargs="*", help="Hydra overrides of one more config, e.g. data=csv data.path=...")
    parser.add_argument("--out", type=Path, default=Path("logs/compare_sklearn.md"), help="where to write the table")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    experiments = args.experiments if args.experiments is not None else [] if args.overrides else list(EXPERIMENTS)
    rows = compare(experiments, args.seeds, args.overrides)
    table = markdown_table(rows, args.seeds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    print(table)
    print(f"Written to {args.out}")
    return 0 if all(row.passes for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
