"""How a run's training loss behaved, and which learning-rate regime that puts the run in.

The comparison report (`analysis/reports.py`) prints these next to each job. The
rules are deliberately simple, so a reader can check a verdict against the
curve in TensorBoard; `RULES` states them under every table.
"""

import math
from collections.abc import Sequence
from itertools import pairwise

DIVERGED_RATIO = 1.5  # final loss above 1.5x the first one: training made things worse
RISE_FRACTION = 0.01  # an epoch-to-epoch rise counts if larger than 1% of the first loss...
OSCILLATION_RISES = 3  # ...and three such rises make a run "oscillated"

DIVERGED, OSCILLATED, STEADY = "diverged", "oscillated", "steady"
TOO_SMALL, GOOD, TOO_LARGE = "too small", "good", "too large"

RULES = (
    f"**loss**: `{DIVERGED}` if it ever became NaN/inf, ended above {DIVERGED_RATIO}x its first value, or ended "
    f"above its first value without being solved; otherwise `{OSCILLATED}` if it rose from one epoch to the next "
    f"by more than {RISE_FRACTION:.0%} of its first value at least {OSCILLATION_RISES} times; otherwise `{STEADY}`. "
    f"**lr regime**: `{TOO_LARGE}` if the loss {OSCILLATED} or {DIVERGED}; otherwise `{GOOD}` if solved "
    f"(validation accuracy reached 1.0) and `{TOO_SMALL}` if not."
)


def loss_behaviour(losses: Sequence[float], solved: bool = False) -> str:
    """`diverged`, `oscillated` or `steady` by the rules in `RULES`; `-` without a curve.

    An unsolved run whose loss ends above where it started made things worse,
    however little: that is divergence, never a steady run.
    """
    if not losses:
        return "-"
    first, last = losses[0], losses[-1]
    if not all(math.isfinite(v) for v in losses) or last > DIVERGED_RATIO * first or (not solved and last > first):
        return DIVERGED
    rises = sum(1 for before, after in pairwise(losses) if after - before > RISE_FRACTION * first)
    return OSCILLATED if rises >= OSCILLATION_RISES else STEADY


def lr_regime(behaviour: str, solved: bool) -> str:
    """The article's three regimes: too small (crawls, unsolved), good, too large (oscillates or diverges)."""
    if behaviour == "-":
        return "-"
    if behaviour in (DIVERGED, OSCILLATED):
        return TOO_LARGE
    return GOOD if solved else TOO_SMALL
