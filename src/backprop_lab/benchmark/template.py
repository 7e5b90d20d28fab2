"""The template's side: build from the composed config exactly as `scripts/train.py` does, then fit."""

from typing import Any

import lightning as L
import torch
from hydra import compose, initialize_config_dir

from backprop_lab.benchmark.clock import Stamp, stamp
from backprop_lab.train import build


class StepClock(L.Callback):
    """Times the optimizer steps from step `warmup` on, per-epoch work between them included."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.start: Stamp | None = None
        self.end: Stamp | None = None
        self.steps = self.samples = 0
        self.loss = float("nan")

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, idx: int) -> None:
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
        """The timed steps' wall and CPU time, steps, samples and last loss."""
        if self.start is None or self.end is None:
            raise RuntimeError(f"the run took {trainer.global_step} steps, not more than the {self.warmup} of warm-up")
        return {
            "wall_s": self.end.wall - self.start.wall,
            "cpu_s": self.end.cpu - self.start.cpu,
            "steps": self.steps,
            "samples": self.samples,
            "loss": self.loss,
        }


def train(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit the config that `spec["overrides"]` composes; return the clock's reading and the last loss."""
    with initialize_config_dir(config_dir=spec["configs"], version_base="1.3"):
        cfg = compose(config_name="train", overrides=[f"paths.output_dir={spec['output_dir']}", *spec["overrides"]])
    datamodule, model, trainer = build(cfg)
    clock = StepClock(spec["warmup"])
    trainer.callbacks.append(clock)
    trainer.fit(model, datamodule=datamodule)
    return {**clock.reading(trainer), "threads": torch.get_num_threads()}
