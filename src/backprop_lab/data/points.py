"""Torch-only generators of labelled 2-D point clouds.

Kept apart from the data modules (which import Lightning) so a plain
PyTorch loop, such as the benchmark's, can draw the very same points
without paying for the Lightning import.
"""

import torch
from torch import Tensor


def noisy_xor(n: int, noise: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """`n` points around XOR's four corners, with Gaussian noise of std `noise`.

    Each point picks a corner of the unit square uniformly; its label is the
    XOR of the corner's coordinates, so the classes sit on the two diagonals
    and no straight line separates them.
    """
    corners = torch.randint(0, 2, (n, 2), generator=generator)
    x = corners.float() + noise * torch.randn(n, 2, generator=generator)
    y = (corners[:, 0] ^ corners[:, 1]).float()
    return x, y
