"""The template's side: build from the composed config exactly as `scripts/train.py` does, then fit."""

from typing import Any

import torch
from hydra import compose, initialize_config_dir

from backprop_lab.train import build

from benchmarks.step_clock import StepClock


def train(spec: dict[str, Any]) -> dict[str, Any]:
    """Fit the config that `spec["overrides"]` composes; return the clock's reading and the last loss."""
    with initialize_config_dir(config_dir=spec["configs"], version_base="1.3"):
        cfg = compose(config_name="train", overrides=[f"paths.output_dir={spec['output_dir']}", *spec["overrides"]])
    datamodule, model, trainer = build(cfg)
    clock = StepClock(spec["warmup"], spec.get("turn"))
    trainer.callbacks.append(clock)
    trainer.fit(model, datamodule=datamodule)
    return {**clock.reading(trainer), "threads": torch.get_num_threads()}
