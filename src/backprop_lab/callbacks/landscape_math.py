"""The loss around the trained weights, on a plane through them, and the optimizer's path projected onto it.

The network's P parameters are one point in R^P; training moves it along a
path. Two directions d1, d2 span a plane through the final weights theta_f;
the loss at theta_f + a*d1 + b*d2 over a grid of (a, b) is the landscape, and
each recorded point of the path, projected onto the plane, is where the
optimizer was. Two ways to choose the plane:

- `pca`: the two principal directions of the path itself (of theta_i - theta_f),
  the plane that shows most of how it moved (Li et al. 2018, section 7);
- `random`: two random directions, each row of each weight matrix rescaled
  to the norm of that row of theta_f ("filter normalisation", Li et al. 2018,
  section 4); biases get no component, as in the paper.

The grid points are evaluated in batched calls: `torch.func.functional_call`
runs the loss (`module_loss.ModuleLoss`) with a given parameter vector,
`torch.func.vmap` runs it for a chunk of grid points at once (one point a
call for a module without `loss_fn`, whose `training_step` gives the loss). Each chunk's points are built just before
its call: all of them at once would be (grid points x P) floats, hundreds of
MB for a network of 10^5 weights.
"""

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

DIRECTIONS = ("pca", "random")


def flatten(params: list[Tensor]) -> Tensor:
    """All parameters as one vector (on the CPU, float32): a point of the path."""
    return torch.cat([p.detach().reshape(-1) for p in params]).float().cpu()


def pca_directions(trajectory: Tensor, origin: Tensor) -> tuple[Tensor, Tensor]:
    """The two orthonormal directions along which `trajectory - origin` varies most, and each one's share of it.

    Signs are chosen so that the path's first point has positive coordinates,
    so pictures of runs from the same start are oriented alike. Computed from
    the T x T Gram matrix of the T path points (torch's matmul and eigh, on
    the run's torch threads): an SVD of the T x P points took seconds on a
    busy 2-core machine; NumPy's eigh of the Gram matrix hands it, from about
    30 points on, to OpenBLAS's thread per core, each of which then spins for
    about 0.1 s of CPU before it sleeps (docs/telemetry.md). Torch's eigh
    maps 1.2 MiB more of LAPACK's code into the process than NumPy's
    (docs/performance.md on memory).
    """
    offsets = (trajectory - origin).double()
    eigenvalues, vectors = torch.linalg.eigh(offsets @ offsets.T)  # ascending
    order = torch.argsort(eigenvalues, descending=True)[:2]
    variances = eigenvalues[order].clamp(min=0.0).tolist()
    directions = torch.zeros(2, offsets.shape[1], dtype=torch.float64)
    for i, (variance, k) in enumerate(zip(variances, order.tolist(), strict=True)):
        if variance > 1e-24 * max(variances[0], 1e-300):
            directions[i] = vectors[:, k] @ offsets / math.sqrt(variance)
    signs = torch.where(directions @ offsets[0] < 0, -1.0, 1.0).to(torch.float64)
    total = float(eigenvalues.clamp(min=0.0).sum())
    shares = [v / total if total > 0 else 0.0 for v in variances] + [0.0, 0.0]
    return (directions * signs[:, None]).float(), torch.tensor(shares[:2])


def random_directions(params: list[Tensor], seed: int) -> Tensor:
    """Two filter-normalised random directions (Li et al. 2018): each weight row scaled to its row's norm."""
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(2):
        parts = []
        for p in params:
            value = p.detach().float().cpu()
            d = torch.randn(value.shape, generator=generator)
            if value.ndim >= 2:
                d *= value.flatten(1).norm(dim=1).view(-1, *[1] * (value.ndim - 1)) / (
                    d.flatten(1).norm(dim=1).view(-1, *[1] * (value.ndim - 1)) + 1e-10
                )
            else:
                d.zero_()
            parts.append(d.reshape(-1))
        rows.append(torch.cat(parts))
    return torch.stack(rows)


def project(points: Tensor, origin: Tensor, directions: Tensor) -> Tensor:
    """(a, b) of each point's nearest point on the plane origin + a*d1 + b*d2 (exact for points on it).

    The pseudo-inverse of the (2, P) directions D is D^T (D D^T)^+: only the
    2 x 2 matrix goes to NumPy, whose SVD of all of D woke OpenBLAS's threads
    on a large network (see `pca_directions`).
    """
    d = directions.double()
    inverse = torch.from_numpy(np.linalg.pinv((d @ d.T).numpy()))
    return ((points - origin).double() @ d.T @ inverse).float()


MIN_ASPECT = 1 / 3  # the shorter side of the plane is at least this share of the longer one


def plane_axes(path: Tensor, resolution: int, margin: float) -> tuple[Tensor, Tensor]:
    """Grid values (alphas, betas) covering the path and 0 plus a margin, at one scale on both axes.

    Both axes get the same distance between grid points, so a picture of the
    grid drawn with square cells shows the plane to scale: a direction that
    holds 1% of the path's spread is drawn as short as it is. The longer
    side has `resolution` points; the shorter side is widened around its
    middle to at least MIN_ASPECT of the longer one (more of the landscape,
    still to scale), so the path is never squeezed into a sliver. The node
    nearest 0 on each axis is exactly 0.
    """
    spans = []
    for coords in (path[:, 0], path[:, 1]):
        lo, hi = min(float(coords.min()), 0.0), max(float(coords.max()), 0.0)
        spans.append((lo, hi))
    longest = max(max(hi - lo for lo, hi in spans), 1e-3) * (1 + 2 * margin)
    step = longest / (resolution - 1)
    axes = []
    for lo, hi in spans:
        width = max((hi - lo) * (1 + 2 * margin), MIN_ASPECT * longest)
        count = max(3, round(width / step) + 1)
        middle = (lo + hi) / 2
        axis = middle + (torch.arange(count, dtype=torch.float64) - (count - 1) / 2) * step
        axis = axis.float()
        axis[int(torch.argmin(axis.abs()))] = 0.0
        axes.append(axis)
    return axes[0], axes[1]


def line_ts(resolution: int) -> Tensor:
    """t from -0.25 to 1.25 for the line initial -> final, 0 and 1 exactly: 61 points at resolution 25."""
    quarter = max(2, resolution // 2 - 2)  # points per quarter of the way
    return torch.arange(-quarter, 5 * quarter + 1) / (4 * quarter)


def bounded_sizes(resolution: int, rows: int, budget: float | None, min_rows: int, least_resolution: int = 9) -> tuple:
    """(resolution, rows) whose loss evaluations, grid points x rows, stay within `budget` (None: any).

    Rows are cut first, down to `min_rows`; then the grid is made coarser,
    down to `least_resolution` points a side; then rows again (at least 1).
    """
    if budget is None:
        return resolution, rows

    def points(res: int) -> int:
        return res * res + len(line_ts(res))

    rows = min(rows, max(min_rows, int(budget // points(resolution))))
    while resolution > least_resolution and points(resolution) * rows > budget:
        resolution -= 2
    return resolution, max(1, min(rows, int(budget // points(resolution))))


def loss_function(loss: nn.Module, names: list[str], shapes: list[torch.Size], x: Tensor, y: Tensor) -> Callable:
    """loss(theta) on (x, y) for a flat parameter vector theta, through `functional_call` (the module is untouched).

    `loss` is a module whose `forward(x, y)` is the loss (`module_loss.ModuleLoss`); `names` are its
    parameters' full names, in the order theta holds them.
    """
    sizes = [s.numel() for s in shapes]

    def loss_at(flat: Tensor) -> Tensor:
        chunks = flat.split(sizes)
        params = {name: chunk.reshape(shape) for name, chunk, shape in zip(names, chunks, shapes, strict=True)}
        return functional_call(loss, params, (x, y))

    return loss_at


@torch.no_grad()
def chunked_losses(
    loss_at: Callable[[Tensor], Tensor],
    points: Callable[[slice], Tensor],
    count: int,
    chunk_size: int | None,
    batched: bool = True,
    before_chunk: Callable[[], None] | None = None,
) -> Tensor:
    """The loss at `count` points, `points(rows)` building only the rows of one chunk at a time.

    `batched`: `loss_at` is a pure function that `vmap` can run over a chunk
    at once; otherwise (a module's own `training_step`) one point a call.
    `before_chunk` runs before each chunk: it raises to stop a long drawing (on SIGTERM).
    Each chunk's losses are copied into one tensor made at the first chunk: a
    list of hundreds of small per-chunk results, kept alive between the
    chunks' large, short-lived activations, pinned those in place in the heap,
    which then grew by up to 100 MB over one drawing.
    """
    size = chunk_size or max(count, 1)
    losses = None
    for start in range(0, count, size):
        if before_chunk is not None:
            before_chunk()
        chunk_points = points(slice(start, start + size))
        chunk = vmap(loss_at)(chunk_points) if batched else torch.stack([loss_at(p) for p in chunk_points])
        if losses is None:
            losses = chunk.new_empty((count, *chunk.shape[1:]))
        losses[start : start + len(chunk)] = chunk
        del chunk, chunk_points  # before the next chunk's activations are made
    return losses


def grid_coordinates(alphas: Tensor, betas: Tensor) -> tuple[Tensor, Tensor]:
    """(a, b) of every grid point, rows by beta then alpha, as two flat tensors."""
    b, a = torch.meshgrid(betas, alphas, indexing="ij")
    return a.reshape(-1), b.reshape(-1)


def plane_points_at(origin: Tensor, directions: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """origin + a*d1 + b*d2 for each (a, b): shape (len(a), P), in one pass (exactly origin at a = b = 0).

    One `addmm` writes the (points x P) block once; the sum of three
    broadcast products wrote it four times, the drawing's largest cost on a
    network of 10^5 weights.
    """
    return torch.addmm(origin, torch.stack([a, b], dim=1).to(directions.dtype), directions)


def line_points(start: Tensor, end: Tensor, ts: Tensor) -> Tensor:
    """start + t*(end - start) for each t; exact at t = 0 and t = 1 (torch.lerp)."""
    return torch.lerp(start.expand(len(ts), -1), end.expand(len(ts), -1), ts.reshape(-1, 1))


def step_cosines(path: Tensor) -> Tensor:
    """Cosine between each pair of consecutive steps of a path (T, D): near -1 where it turns back."""
    steps = path[1:] - path[:-1]
    steps = steps[steps.norm(dim=1) > 0]
    return torch.nn.functional.cosine_similarity(steps[1:], steps[:-1], dim=1)
