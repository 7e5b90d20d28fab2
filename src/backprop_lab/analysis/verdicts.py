"""How a run's training loss behaved, and which learning-rate regime that puts the run in, whatever the task.

The comparison report (`analysis/reports.py`) prints these next to each job. The
rules read only the training loss curve, so they mean the same on XOR,
digits, a CNN or a regression: no accuracy of 1.0 is needed. They are
deliberately simple, so a reader can check a verdict against the curve in
TensorBoard; `RULES` states them under every table.
"""

import math
import statistics
from collections.abc import Sequence
from itertools import pairwise

RISE_FRACTION = 0.01  # an epoch-to-epoch rise counts if larger than 1% of the first loss...
OSCILLATION_RISES = 3  # ...and three such rises make a run "oscillated"
GOOD_SHARE = 0.5  # a run is "good" if its loss dropped at least half as far (relatively) as the sweep's best run's

DIVERGED, OSCILLATED, STEADY = "diverged", "oscillated", "steady"
TOO_SMALL, GOOD, TOO_LARGE = "too small", "good", "too large"

RULES = (
    "**start**: the loss's first value, or the median first value of the comparison's runs if that is lower (a run "
    "that blew up within its first epoch starts from where the others did). "
    f"**drop**: how far the loss fell, relative to its start: 1 - last / start (100% would be a loss of 0). "
    f"**loss**: `{DIVERGED}` if it ever became NaN/inf or ended above its start; otherwise `{OSCILLATED}` "
    f"if it rose from one epoch to the next by more than {RISE_FRACTION:.0%} of its start at least "
    f"{OSCILLATION_RISES} times; otherwise `{STEADY}`. "
    f"**lr regime**: `{TOO_LARGE}` if the loss {OSCILLATED} or {DIVERGED}; otherwise `{GOOD}` if its drop is at "
    f"least {GOOD_SHARE:.0%} of the largest drop of any run in the comparison, and `{TOO_SMALL}` if not (the loss "
    "crawled)."
)


def start_of(losses: Sequence[float], sweep_start: float | None = None) -> float:
    """The loss's start: its first value, or the sweep's median first value where that is lower."""
    first = losses[0]
    return first if sweep_start is None or not math.isfinite(first) else min(first, sweep_start)


def sweep_start(curves: Sequence[Sequence[float]]) -> float | None:
    """The median first loss of the curves that start finite: where a run of this comparison usually starts."""
    firsts = [c[0] for c in curves if c and math.isfinite(c[0])]
    return statistics.median(firsts) if firsts else None


def loss_behaviour(losses: Sequence[float], start: float | None = None) -> str:
    """`diverged`, `oscillated` or `steady` by the rules in `RULES`; `-` without a curve."""
    if not losses:
        return "-"
    first, last = start_of(losses, start), losses[-1]
    if not all(math.isfinite(v) for v in losses) or last > first:
        return DIVERGED
    rises = sum(1 for before, after in pairwise(losses) if after - before > RISE_FRACTION * abs(first))
    return OSCILLATED if rises >= OSCILLATION_RISES else STEADY


def loss_drop(losses: Sequence[float], start: float | None = None) -> float | None:
    """1 - last / start: the share of its start the loss lost; None without a finite, positive start and end."""
    if not losses or not all(math.isfinite(v) for v in (losses[0], losses[-1])):
        return None
    first = start_of(losses, start)
    return 1.0 - losses[-1] / first if first > 0 else None


def lr_regime(behaviour: str, drop: float | None, best_drop: float | None) -> str:
    """The article's three regimes: too small (the loss crawls), good, too large (it oscillates or diverges)."""
    if behaviour == "-":
        return "-"
    if behaviour in (DIVERGED, OSCILLATED):
        return TOO_LARGE
    if drop is None or best_drop is None or best_drop <= 0:
        return TOO_SMALL
    return GOOD if drop >= GOOD_SHARE * best_drop else TOO_SMALL


def best_drop(curves: Sequence[Sequence[float]], start: float | None = None) -> float | None:
    """The largest drop of any curve that ended finite: the yardstick of "good"."""
    drops = [d for d in (loss_drop(c, start) for c in curves) if d is not None]
    return max(drops, default=None)
