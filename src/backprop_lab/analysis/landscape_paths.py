"""A sweep's optimizer paths on one shared plane: `landscape_paths.png` in the sweep folder.

Each job's loss-landscape callback saved its path through parameter space
(`<job>/landscape/landscape.npz`, `trajectory`: one row per recorded step).
When the jobs start from the same weights (same seed and network), their
paths are comparable: the two principal directions of all paths together,
measured from the shared start, span one plane, and every path is drawn on
it, one panel per optimizer, one line per learning rate: on top all at one
scale, below each optimizer's panel zoomed to its own paths.
A tiny learning rate shows as a short crawl from the start, a good one as a
direct line, a too-large one as a zig-zag or an escape far out.
"""

from pathlib import Path

import numpy as np

from backprop_lab.analysis.reports import JobResult, read_sweep
from backprop_lab.callbacks.landscape_math import pca_directions, project

LANDSCAPE_FILE = Path("landscape") / "landscape.npz"
PICTURE = "landscape_paths.png"


def read_trajectory(job_dir: Path) -> np.ndarray | None:
    """A job's recorded path (steps, parameters), or None if it has none or the file is not a plain array file."""
    path = job_dir / LANDSCAPE_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as saved:  # never unpickles: a file from outside runs no code
            trajectory = saved["trajectory"]
    except (OSError, ValueError, KeyError):
        return None
    return trajectory if trajectory.ndim == 2 and np.isfinite(trajectory[0]).all() else None


def shared_plane(trajectories: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Each path projected onto the plane of all paths' two principal directions through the shared start."""
    import torch

    start = torch.from_numpy(trajectories[0][0]).float()
    points = torch.from_numpy(np.concatenate(trajectories)).float()
    finite = torch.isfinite(points).all(dim=1)
    directions, shares = pca_directions(torch.cat([start[None], points[finite]]), start)
    paths = [project(torch.from_numpy(t).float(), start, directions).numpy() for t in trajectories]
    return paths, shares.numpy()


def write_landscape_paths(sweep_dir: Path, results: list[JobResult] | None = None) -> Path | str:
    """Draw every job's path on one shared plane; return the picture's path, or why none was drawn."""
    results = results if results is not None else read_sweep(sweep_dir)
    jobs = [(r, read_trajectory(Path(sweep_dir) / r.name)) for r in results]
    jobs = [(r, t) for r, t in jobs if t is not None]
    if len(jobs) < 2:
        return "fewer than 2 jobs saved a path (landscape/landscape.npz; callback loss_landscape)"
    first = jobs[0][1][0]
    if any(t.shape[1] != first.shape[0] or not np.allclose(t[0], first, atol=1e-6) for _, t in jobs):
        return "the jobs do not start from the same weights (different seeds or networks), so no plane is shared"
    paths, shares = shared_plane([t for _, t in jobs])
    return draw(Path(sweep_dir) / PICTURE, [r for r, _ in jobs], paths, shares)


def _limits(paths: list[np.ndarray]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits holding the paths' finite points (1st to 99th percentile, for a far outlier), padded."""
    finite = np.concatenate([p[np.isfinite(p).all(axis=1)] for p in paths])
    lo, hi = np.percentile(finite, 1, axis=0), np.percentile(finite, 99, axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-6)
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


def draw(out: Path, results: list[JobResult], paths: list[np.ndarray], shares: np.ndarray) -> Path:
    """Top row: every optimizer's paths at one scale; bottom row: each optimizer's zoomed to its own paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    optimizers = list(dict.fromkeys(r.optimizer for r in results))
    lrs = sorted({r.lr for r in results if r.lr is not None})
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(lrs), 1)))
    shared = _limits(paths)
    cols = len(optimizers)
    fig, axes = plt.subplots(2, cols, figsize=(4.2 * cols, 7.6), squeeze=False)
    for col, optimizer in enumerate(optimizers):
        mine = [(r, p) for r, p in zip(results, paths, strict=True) if r.optimizer == optimizer]
        for row, (xlim, ylim) in enumerate((shared, _limits([p for _, p in mine]))):
            ax = axes[row, col]
            for result, path in mine:
                colour = colours[lrs.index(result.lr)] if result.lr in lrs else "grey"
                label = f"lr={result.lr:g}" if result.lr is not None else result.name
                ax.plot(path[:, 0], path[:, 1], "-", color=colour, lw=1.3, marker=".", ms=2.5, label=label)
                ax.plot(*path[-1], "o", color=colour, mec="black", ms=6)
            ax.plot(*paths[0][0], "*", color="red", mec="black", ms=13, label="start", zorder=5)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.grid(alpha=0.3)
            ax.set_title(f"{optimizer}" + (", zoomed" if row else ", all at one scale"), fontsize=10)
            ax.set_xlabel(f"PC1 of all paths ({100 * shares[0]:.0f}%)", fontsize=8)
            ax.set_ylabel(f"PC2 ({100 * shares[1]:.0f}%)", fontsize=8)
            ax.tick_params(labelsize=7)
        axes[0, col].legend(fontsize=7, loc="best")
    fig.suptitle("Each job's path through parameter space on one shared plane (dots: recorded steps, o: end)")
    fig.tight_layout()
    tmp = out.with_name(f".{out.name}.tmp")
    fig.savefig(tmp, dpi=80, format="png")
    plt.close(fig)
    tmp.replace(out)
    return out
