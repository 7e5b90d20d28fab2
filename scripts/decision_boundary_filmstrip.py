"""Lay out a finished run's decision-boundary images as one PNG.

    python scripts/decision_boundary_filmstrip.py logs/xor_filmstrip --steps 0,4,8,12
    python scripts/decision_boundary_filmstrip.py logs/xor_filmstrip strip.png

Reads `<run>/tensorboard` (the images the decision_boundary callback logged)
and writes the chosen steps side by side, titled by step, to
`<run>/decision_boundary_filmstrip.png` unless another file is named.
(`scripts/make_docs_figures.py` makes the README's copy in docs/.)
"""

import argparse
import sys
from pathlib import Path

from backprop_lab.analysis.filmstrip import read_frames, write_filmstrip
from backprop_lab.config.cli import whole_number
from backprop_lab.errors import reports_user_errors

DEFAULT_NAME = "decision_boundary_filmstrip.png"


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a run folder, e.g. logs/train/runs/<timestamp>")
    parser.add_argument("out", type=Path, nargs="?", help=f"the PNG to write (default: <run_dir>/{DEFAULT_NAME})")
    parser.add_argument("--steps", help="comma-separated steps to show (default: every image)")
    parser.add_argument("--columns", type=whole_number(1, 4), default=4, help="images per row")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")] if args.steps else None
    path = write_filmstrip(read_frames(args.run_dir), args.out or args.run_dir / DEFAULT_NAME, steps, args.columns)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
