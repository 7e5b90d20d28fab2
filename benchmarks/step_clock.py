"""A callback that times a Lightning run's optimizer steps: the template and Lightning alone share it."""

from typing import Any

import lightning as L

from benchmarks.clock import Stamp, stamp


class StepClock(L.Callback):
    """Times the optimizer steps from step `warmup` on, per-epoch work between them included.

    The time before (`warmup_s`, from the first batch on) holds torch.compile's
    compilation when the network is compiled.
    """

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.begin: Stamp | None = None
        self.start: Stamp | None = None
        self.end: Stamp | None = None
        self.steps = self.samples = 0
        self.loss = float("nan")

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, idx: int) -> None:
        if self.begin is None:
            self.begin = stamp(pl_module.device)
        if trainer.global_step == self.warmup and self.start is None:
            self.start = stamp(pl_module.device)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        if self.start is None:
            return
        self.end = stamp(pl_module.device)
        self.steps += 1
        self.samples += len(batch[1])
        self.loss = float(outputs["loss"])

    def reading(self, trainer: L.Trainer) -> dict[str, Any]:
        """The timed steps' wall and CPU time, the warm-up's wall time, steps, samples and last loss."""
        if self.begin is None or self.start is None or self.end is None:
            raise RuntimeError(f"the run took {trainer.global_step} steps, not more than the {self.warmup} of warm-up")
        return {
            "wall_s": self.end.wall - self.start.wall,
            "cpu_s": self.end.cpu - self.start.cpu,
            "warmup_s": self.start.wall - self.begin.wall,
            "steps": self.steps,
            "samples": self.samples,
            "loss": self.loss,
        }
