"""Jobs that differ only in their `seed`, taken together: how many, and each test metric's mean +- sd.

One run is one draw of the initial weights and the data's shuffling; a
difference between two settings means something only if it is larger than
the spread over seeds. `python scripts/train.py -m experiment=digits
seed=0,1,2,3,4` gives five jobs of one setting; `compare_runs.py` then
prints one row for them with n = 5 and mean +- sd (the sample standard
deviation) of every test metric, classification or regression alike, and
how many of the seeds got each loss verdict and lr regime.
"""

import statistics
from collections import Counter
from collections.abc import Sequence

from backprop_lab.analysis.reports import JobResult, sweep_best_drop, test_columns, varying_keys

SEED_KEY = "seed"


def seed_groups(results: Sequence[JobResult]) -> list[list[JobResult]]:
    """The successful jobs, grouped by everything they vary except `seed`; groups by optimizer and lr."""
    keys = [k for k in varying_keys(results) if k != SEED_KEY]
    groups: dict[tuple, list[JobResult]] = {}
    for r in results:
        if r.status == "success":
            groups.setdefault((r.optimizer, r.lr, *(r.overrides.get(k) for k in keys)), []).append(r)
    return [groups[key] for key in sorted(groups, key=lambda k: (k[0], k[1] is None, k[1] or 0.0, k[2:]))]


def mean_sd(values: Sequence[float]) -> str:
    """`mean ± sd` over the values (one value: itself); `-` for none."""
    if not values:
        return "-"
    if len(values) == 1:
        return format(values[0], ".4g")
    return f"{statistics.fmean(values):.4g} ± {statistics.stdev(values):.2g}"


def counted(labels: Sequence[str]) -> str:
    """`good` when all agree, else `good 3, too small 2` (most common first)."""
    counts = Counter(labels).most_common()
    return counts[0][0] if len(counts) == 1 else ", ".join(f"{label} {n}" for label, n in counts)


def seed_table(results: Sequence[JobResult]) -> str:
    """One row per setting over its seeds, as markdown; empty when no setting ran more than one seed."""
    groups = seed_groups(results)
    if not any(len(group) > 1 for group in groups):
        return ""
    keys = [k for k in varying_keys(results) if k != SEED_KEY]
    metrics = test_columns(results)
    best = sweep_best_drop(results)
    header = ["optimizer", "lr", *keys, "n", "seeds", "final train loss", *metrics, "loss", "lr regime"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group in groups:
        first = group[0]
        losses = [r.final_train_loss for r in group if r.final_train_loss is not None]
        cells = [
            first.optimizer, "-" if first.lr is None else format(first.lr, "g"),
            *(first.overrides.get(k, "-") for k in keys), str(len(group)),
            ",".join(r.overrides.get(SEED_KEY, "-") for r in group), mean_sd(losses),
            *(mean_sd([r.test_metrics[m] for r in group if m in r.test_metrics]) for m in metrics),
            counted([r.behaviour for r in group]), counted([r.regime(best) for r in group]),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\nmean ± sd: the mean over the seeds and the sample standard deviation.\n"
