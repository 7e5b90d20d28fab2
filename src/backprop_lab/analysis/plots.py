"""The comparison picture: training-loss curves, one panel per optimizer, one line per learning rate."""

import math
from collections.abc import Sequence
from pathlib import Path

from backprop_lab.analysis.reports import LOSS_TAG, JobResult, varying_keys
from backprop_lab.runs.atomic import save_figure_atomic

PANELS_PER_ROW = 3


def _label(result: JobResult, extra: Sequence[str]) -> str:
    parts = [f"lr={result.lr:g}" if result.lr is not None else f"job {result.name}"]
    parts += [f"{key}={result.overrides.get(key, '-')}" for key in extra]
    if result.behaviour in ("diverged", "oscillated"):
        parts.append(f"({result.behaviour})")
    return " ".join(parts)


def plot_loss_curves(results: Sequence[JobResult], path: Path) -> None:
    """Log-scale loss against epoch; NaN/inf points are left out, so a diverged line simply stops."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    optimizers = sorted({r.optimizer for r in results})
    extra = varying_keys(results)
    cols = min(len(optimizers), PANELS_PER_ROW)
    rows = math.ceil(len(optimizers) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), sharey=True, squeeze=False)
    for ax, optimizer in zip(axes.flat, optimizers, strict=False):
        jobs = sorted((r for r in results if r.optimizer == optimizer), key=lambda r: (r.lr is None, r.lr or 0.0))
        for r in jobs:
            points = [(epoch, value) for epoch, value in r.train_loss if math.isfinite(value) and value > 0]
            if points:
                epochs, values = zip(*points, strict=True)
                ax.plot(epochs, values, label=_label(r, extra), linewidth=1.2)
        ax.set_yscale("log")
        ax.set_title(optimizer)
        ax.set_xlabel("epoch")
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize=7)
    for ax in axes.flat[len(optimizers) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(LOSS_TAG)
    fig.tight_layout()
    save_figure_atomic(fig, path, dpi=100)
    plt.close(fig)
