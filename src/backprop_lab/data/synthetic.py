"""Seeded 2-D toy problems, generated in torch: noisy XOR, two moons, circles, spirals, blobs.

Each sampler takes `(n_samples, noise, generator)` and returns `x` of shape
(N, 2) and 0/1 labels `y` of shape (N,); `blobs` and `spirals` also take
`num_classes` for labels 0..C-1 (the multi-class task). Every random number comes from the
`torch.Generator` passed in, never from the global RNG, so the data depend on
the data seed alone and the model's initial weights on the run's seed alone.
"""

import inspect
import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from backprop_lab.data.splits import SplitDataModule, split_order
from backprop_lab.data.targets import too_many_classes
from backprop_lab.data.tensors import Split
from backprop_lab.errors import DataError

Sampler = Callable[..., Split]


# Rows of blobs drawn at a time: a million 64-feature rows would otherwise need a second full copy of
# the data for each row's centre, and a third to shuffle the rows into their splits.
CHUNK_ROWS = 65536


def _jitter(x: Tensor, noise: float, generator: torch.Generator) -> Tensor:
    """`x` plus Gaussian noise, computed in place in the noise tensor: one copy of the data instead of three.

    `x` may be of any number type (XOR's corners come as bytes): the sum is float either way.
    """
    return torch.randn(x.shape, generator=generator).mul_(noise).add_(x)


def noisy_xor(n_samples: int, noise: float, generator: torch.Generator) -> Split:
    """Points scattered around XOR's four corners; the label is XOR of the corner's coordinates."""
    # Bytes: the same draws as int64 (the range decides the stream, not the type), an eighth of the memory.
    corners = torch.randint(0, 2, (n_samples, 2), generator=generator, dtype=torch.uint8)
    y = (corners[:, 0] ^ corners[:, 1]).float()
    return _jitter(corners, noise, generator), y


def two_moons(n_samples: int, noise: float, generator: torch.Generator) -> Split:
    """Two interleaving half circles: the upper one is class 0, the lower, shifted one class 1."""
    y = torch.arange(n_samples) % 2
    angle = math.pi * torch.rand(n_samples, generator=generator)
    upper = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    lower = torch.stack([1 - torch.cos(angle), 0.5 - torch.sin(angle)], dim=1)
    x = torch.where(y.unsqueeze(1) == 0, upper, lower)
    return _jitter(x, noise, generator), y.float()


def circles(n_samples: int, noise: float, generator: torch.Generator, factor: float = 0.5) -> Split:
    """Two concentric circles: radius 1 is class 0, radius `factor` is class 1."""
    y = torch.arange(n_samples) % 2
    angle = 2 * math.pi * torch.rand(n_samples, generator=generator)
    radius = torch.where(y == 0, 1.0, factor)
    x = radius.unsqueeze(1) * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return _jitter(x, noise, generator), y.float()


def spirals(
    n_samples: int, noise: float, generator: torch.Generator, turns: float = 1.5, num_classes: int = 2
) -> Split:
    """Interleaved spiral arms, one per class (two by default), each `turns` turns long."""
    y = torch.arange(n_samples) % num_classes
    # sqrt spreads the points evenly along the arm instead of crowding the centre
    angle = 2 * math.pi * turns * torch.sqrt(torch.rand(n_samples, generator=generator))
    radius = angle / (2 * math.pi * turns)
    if num_classes == 2:
        sign = 1 - 2 * y.unsqueeze(1).float()  # class 1 is class 0's arm turned by 180 degrees
        x = sign * radius.unsqueeze(1) * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    else:  # class k's arm is class 0's turned by k/C of a circle
        turned = angle + 2 * math.pi * y / num_classes
        x = radius.unsqueeze(1) * torch.stack([torch.cos(turned), torch.sin(turned)], dim=1)
    return _jitter(x, noise, generator), y.float()


def blobs(
    n_samples: int,
    noise: float,
    generator: torch.Generator,
    centers: Sequence[Sequence[float]] | None = ((-1.0, -1.0), (1.0, 1.0)),
    num_classes: int = 2,
    order: Tensor | None = None,
) -> Split:
    """Gaussian blobs of standard deviation `noise`; blob i has label i % num_classes.

    `centers=None`: one blob per class, evenly spaced on a circle of radius 1.5.
    `order`: return the rows shuffled as `x[order]` would, each written straight
    into its place (blobs can be wide: no second copy of the data).
    """
    if centers is None or len(centers) < num_classes:
        turn = 2 * math.pi * torch.arange(num_classes) / num_classes
        centre = 1.5 * torch.stack([torch.cos(turn), torch.sin(turn)], dim=1)
    else:
        centre = torch.tensor([list(c) for c in centers], dtype=torch.float32)
    which = torch.randint(0, len(centre), (n_samples,), generator=generator)
    order = torch.arange(n_samples) if order is None else order
    place = torch.empty_like(order)
    place[order] = torch.arange(n_samples, dtype=order.dtype)  # drawn row i goes to row place[i]
    x = torch.empty((n_samples, centre.shape[1]))
    # _jitter(centre[which], ...) in chunks of the same random stream: torch.randn draws a (k, F) tensor's
    # numbers in order, so consecutive chunks (each at least CHUNK_ROWS rows, or all) give the same values.
    starts = range(0, max(n_samples - CHUNK_ROWS, 0) + 1, CHUNK_ROWS)
    chunks = list(zip(starts, [*starts[1:], n_samples], strict=True))
    # Every chunk in the same two buffers: a fresh pair per chunk left the heap with tens of MB of holes.
    longest = max(stop - start for start, stop in chunks)
    jitter, centres = torch.empty((longest, centre.shape[1])), torch.empty((longest, centre.shape[1]))
    for start, stop in chunks:
        rows, k = slice(start, stop), stop - start
        part = torch.randn((k, centre.shape[1]), generator=generator, out=jitter[:k]).mul_(noise)
        x[place[rows]] = part.add_(torch.index_select(centre, 0, which[rows], out=centres[:k]))
    return x, (which % num_classes).float()[order]


class SyntheticDataModule(SplitDataModule):
    """`n_samples` points from `sampler` (a Hydra partial of one function above), split and standardised.

    The points are drawn from a generator seeded with `seed`; the same seed
    always gives the same points and the same split.
    """

    def __init__(self, sampler: Sampler, noise: float, n_samples: int = 1000, num_classes: int = 2, **kwargs) -> None:
        # `noise` has no default: each of configs/data/{moons,circles,blobs,noisy_xor,spirals}.yaml sets its own.
        super().__init__(**kwargs)
        self.sampler = sampler
        self.classes = num_classes
        self.task = "binary" if num_classes == 2 else "multiclass"
        self.n_samples = n_samples
        self.noise = noise

    def load_in_order(self) -> Split:
        if "order" not in inspect.signature(self.sampler).parameters:
            return super().load_in_order()
        return self.load(order=split_order(self.n_samples, self.seed))

    def load(self, **kwargs: Tensor) -> Split:
        generator = torch.Generator().manual_seed(self.seed)
        if self.classes == 2:
            return self.sampler(self.n_samples, self.noise, generator=generator, **kwargs)
        takes = "num_classes" in inspect.signature(self.sampler).parameters
        if not takes or self.classes < 2:
            raise DataError(
                f"data.num_classes={self.classes} is not allowed here: blobs and spirals take 2 or more classes "
                "(e.g. data=blobs data.num_classes=4); the other toy problems have exactly 2."
            )
        if problem := too_many_classes(self.classes, self.max_classes, f"data.num_classes={self.classes}"):
            raise DataError(problem)  # before the sampler makes a centre per class
        return self.sampler(self.n_samples, self.noise, generator=generator, num_classes=self.classes, **kwargs)
