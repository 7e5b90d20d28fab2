"""Every optimizer config survives the round trip a user relies on: train, checkpoint, test that checkpoint."""

import pytest
import torch

from backprop_lab.runs.summary import read_summary
from backprop_lab.train import train

from helpers import CONFIGS, compose_train

OPTIMIZERS = sorted(p.stem for p in (CONFIGS / "optimizer").glob("*.yaml"))
# One step, a checkpoint, no telemetry: what is tested is that the checkpoint loads with weights_only=True.
TINY = [
    "trainer.max_epochs=1",
    "data.passes_per_epoch=1",
    "logger=none",
    "~callbacks.progress_bar",
    "~callbacks.update_telemetry",
    "~callbacks.histograms",
    "~callbacks.decision_boundary",
    "~callbacks.hparams",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
]


def test_the_new_optimizers_ship():
    assert {"sgd", "adam", "adamw", "rmsprop", "nadam", "radam", "adagrad"} <= set(OPTIMIZERS)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_optimizer_config_trains_checkpoints_and_tests_the_checkpoint(optimizer, tmp_path):
    train(compose_train(f"optimizer={optimizer}", *TINY, output_dir=tmp_path))  # tests the best checkpoint
    summary = read_summary(tmp_path)
    assert summary["status"] == "success" and "test/acc" in summary["metrics"]
    checkpoint = torch.load(summary["best_checkpoint"], weights_only=True)
    group = checkpoint["optimizer_states"][0]["param_groups"][0]
    assert {type(value).__module__ for value in group.values()} <= {"builtins", "torch"}  # no OmegaConf inside
