"""Seeded 2-D toy problems, generated in torch: noisy XOR, two moons, circles, spirals, blobs.

Each sampler takes `(n_samples, noise, generator)` and returns `x` of shape
(N, 2) and 0/1 labels `y` of shape (N,). Every random number comes from the
`torch.Generator` passed in, never from the global RNG, so the data depend on
the data seed alone and the model's initial weights on the run's seed alone.
"""

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from backprop_lab.data.splits import SplitDataModule
from backprop_lab.data.tensors import Split

Sampler = Callable[..., Split]


def _jitter(x: Tensor, noise: float, generator: torch.Generator) -> Tensor:
    return x + noise * torch.randn(x.shape, generator=generator)


def noisy_xor(n_samples: int, noise: float, generator: torch.Generator) -> Split:
    """Points scattered around XOR's four corners; the label is XOR of the corner's coordinates."""
    corners = torch.randint(0, 2, (n_samples, 2), generator=generator)
    y = (corners[:, 0] ^ corners[:, 1]).float()
    return _jitter(corners.float(), noise, generator), y


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


def spirals(n_samples: int, noise: float, generator: torch.Generator, turns: float = 1.5) -> Split:
    """Two interleaved spiral arms, one per class, each `turns` turns long."""
    y = torch.arange(n_samples) % 2
    # sqrt spreads the points evenly along the arm instead of crowding the centre
    angle = 2 * math.pi * turns * torch.sqrt(torch.rand(n_samples, generator=generator))
    radius = angle / (2 * math.pi * turns)
    sign = 1 - 2 * y.unsqueeze(1).float()  # class 1 is class 0's arm turned by 180 degrees
    x = sign * radius.unsqueeze(1) * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return _jitter(x, noise, generator), y.float()


def blobs(
    n_samples: int,
    noise: float,
    generator: torch.Generator,
    centers: Sequence[Sequence[float]] = ((-1.0, -1.0), (1.0, 1.0)),
) -> Split:
    """Gaussian blobs of standard deviation `noise`; blob i has label i % 2."""
    centre = torch.tensor([list(c) for c in centers], dtype=torch.float32)
    which = torch.randint(0, len(centre), (n_samples,), generator=generator)
    return _jitter(centre[which], noise, generator), (which % 2).float()


class SyntheticDataModule(SplitDataModule):
    """`n_samples` points from `sampler` (a Hydra partial of one function above), split and standardised.

    The points are drawn from a generator seeded with `seed`; the same seed
    always gives the same points and the same split.
    """

    def __init__(self, sampler: Sampler, n_samples: int = 1000, noise: float = 0.1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sampler = sampler
        self.n_samples = n_samples
        self.noise = noise

    def load(self) -> Split:
        generator = torch.Generator().manual_seed(self.seed)
        return self.sampler(self.n_samples, self.noise, generator=generator)
