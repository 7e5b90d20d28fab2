"""What a benchmark run measures: its sizes (full or smoke), repeats, threads and accelerator."""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sizes:
    # Case 1: full-batch XOR steps, the first `xor_warmup` untimed.
    xor_steps: int = 2000
    xor_warmup: int = 200
    # Case 2: one epoch of noisy XOR through a 2-64-64-1 MLP.
    n_train: int = 1_000_000
    batch_size: int = 4096
    hidden: tuple[int, ...] = (64, 64)
    throughput_warmup: int = 10
    # Case 4: 64-feature, 10-class blobs through a 64-256-256-10 MLP; `wide_steps` timed steps after the
    # warm-up (an epoch is 245 steps: about 25 s a side on one busy core), None for the whole epoch.
    wide_train: int = 1_000_000
    wide_steps: int | None = 60
    wide_features: int = 64
    wide_hidden: tuple[int, ...] = (256, 256)
    wide_classes: int = 10
    # Case 5: experiment=digits_cnn, its first epoch untimed; None keeps the experiment's 30 epochs.
    digits_epochs: int | None = None
    cold_start_overrides: tuple[str, ...] = ()
    # Case 6: added to `-m experiment=optimizer_grid` (its 18 jobs of 100 full-batch steps as they are).
    sweep_overrides: tuple[str, ...] = ()


SMOKE = Sizes(
    xor_steps=40,
    xor_warmup=10,
    n_train=20_000,
    batch_size=1024,
    hidden=(16, 16),
    throughput_warmup=2,
    wide_train=8192,
    wide_steps=None,
    wide_features=8,
    wide_hidden=(16, 16),
    wide_classes=3,
    digits_epochs=2,
    cold_start_overrides=("trainer.max_epochs=2",),
    sweep_overrides=("optimizer.lr=0.1,1", "trainer.max_epochs=2"),
)


@dataclass
class Settings:
    root: Path
    repeats: int = 5
    threads: int = 1
    accelerator: str = "cpu"
    compile: bool = False
    # The sides of a round take turns step by step in parallel processes (turns.py); false: one after the other.
    turns: bool = True
    sizes: Sizes = field(default_factory=Sizes)

    @property
    def common(self) -> list[str]:
        """Overrides every template run gets: the benchmark's threads and accelerator."""
        return [f"torch_threads={self.threads}", f"trainer.accelerator={self.accelerator}"]
