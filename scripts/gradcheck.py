"""Check the configured network's backward against finite differences: `python scripts/gradcheck.py [overrides]`.

Takes the same overrides as scripts/train.py (e.g. `experiment=iris` or
`model.net.activation=gelu`), builds the data and the model, and runs
`torch.autograd.gradcheck` in float64 on the loss of a few training rows (the
first rows of the data module's training loader; any network and input shape),
once per parameter. Prints pass/fail per parameter; exits 1 if any fails.
"""

import argparse
import sys
from pathlib import Path

from backprop_lab.config.checks import check_config
from backprop_lab.config.cli import compose_overrides, whole_number
from backprop_lab.errors import reports_user_errors

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, as for scripts/train.py")
    rows = whole_number(1, 8)
    parser.add_argument("--rows", type=rows, default=8, help="training rows the loss is taken on (default 8)")
    args = parser.parse_args(argv)
    # Nothing is written: the run folder the config names is never made, but its checks resolve the name.
    cfg = compose_overrides(CONFIGS, "train", ["paths.output_dir=unused", *args.overrides])
    check_config(cfg)  # the values train.py refuses (model.net.hidden=[0]), refused here too
    from backprop_lab.analysis.gradcheck import check_gradients

    results = check_gradients(cfg, args.rows)
    for result in results:
        shape = "x".join(map(str, result.shape))
        print(f"{'pass' if result.passed else 'FAIL'}  {result.name} ({shape})")
    failed = [r.name for r in results if not r.passed]
    verdict = f"; failing: {', '.join(failed)}" if failed else ""
    print(f"{len(results) - len(failed)} of {len(results)} parameters pass{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
