"""Noisy XOR: as many points as you like around XOR's four corners."""

import torch

from backprop_lab.data.points import noisy_xor
from backprop_lab.data.tensors import Split, TensorDataModule


class NoisyXORDataModule(TensorDataModule):
    """Train, val and test splits of noisy XOR, drawn from one seeded generator.

    Large sizes (a million points) make it the benchmark's throughput case;
    small ones give XOR a decision boundary worth looking at.
    """

    def __init__(
        self,
        n_train: int = 10_000,
        n_val: int = 1_000,
        n_test: int = 1_000,
        noise: float = 0.2,
        batch_size: int | None = 256,
        shuffle: bool = True,
        seed: int = 0,
        passes_per_epoch: int = 1,
    ) -> None:
        super().__init__(batch_size=batch_size, shuffle=shuffle, seed=seed, passes_per_epoch=passes_per_epoch)
        for name, value in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
            if value < 1:
                raise ValueError(f"data.{name} must be a positive integer, got {value}")
        if noise < 0:
            raise ValueError(f"data.noise must be >= 0, got {noise}")
        self.sizes = {"train": n_train, "val": n_val, "test": n_test}
        self.noise = noise

    def make_splits(self) -> dict[str, Split]:
        generator = torch.Generator().manual_seed(self.seed)
        return {name: noisy_xor(n, self.noise, generator) for name, n in self.sizes.items()}
