"""A callback that times a Lightning run's optimizer steps: the template and Lightning alone share it."""

from typing import Any

import lightning as L

from benchmarks.turns import StepTimer, Turn


class StepClock(L.Callback):
    """Times the optimizer steps from step `warmup` on, per-epoch work between them included.

    The time before (`warmup_s`, from the first batch on) holds torch.compile's
    compilation when the network is compiled. With a `turn` (see `turns.py`)
    every step first waits for its turn; the waits are left out of both.
    """

    def __init__(self, warmup: int, turn: Turn | None = None) -> None:
        self.warmup = warmup
        self.timer = StepTimer(turn)
        self.steps = self.samples = 0
        self.loss = float("nan")

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, idx: int) -> None:
        self.timer.boundary(pl_module.device, timed=trainer.global_step >= self.warmup, new_epoch=idx == 0)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        if not self.timer.timed:
            return
        self.timer.end(pl_module.device)
        self.steps += 1
        self.samples += len(batch[1])
        self.loss = float(outputs["loss"])

    def reading(self, trainer: L.Trainer) -> dict[str, Any]:
        """The timed steps' times (see `StepTimer.reading`), steps, samples and last loss."""
        if not self.steps:
            raise RuntimeError(f"the run took {trainer.global_step} steps, not more than the {self.warmup} of warm-up")
        return {**self.timer.reading(), "steps": self.steps, "samples": self.samples, "loss": self.loss}
