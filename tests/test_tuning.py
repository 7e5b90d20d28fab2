"""The LR finder: a full range test before training, its suggestion saved, logged and trained with."""

import json

import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from backprop_lab.runs.name import tensorboard_dir

from helpers import read_metrics


def test_lr_finder_runs_every_step_saves_its_suggestion_and_trains_with_it(train_run):
    # XOR has one batch per epoch: 30 finder steps must not stop at max_epochs=3.
    proc, run_dir = train_run(
        "lr_finder=range_test",
        "lr_finder.num_training=30",
        "lr_finder.early_stop_threshold=null",
        "trainer.max_epochs=3",
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads((run_dir / "lr_find.json").read_text())
    assert found["steps"] == len(found["lr"]) == len(found["loss"]) == 30
    suggestion = found["suggestion"]
    assert 1e-6 <= suggestion <= 1.0 and suggestion in found["lr"]
    assert found["configured_lr"] == 0.5 and found["trained_with_lr"] == suggestion

    metrics = read_metrics(run_dir)
    assert metrics["epochs"] == 3  # the finder's steps are not counted as training
    assert metrics["metrics"]["lr"] == pytest.approx(suggestion)  # the optimizer trained with it
    events = EventAccumulator(str(tensorboard_dir(run_dir)))
    events.Reload()
    assert events.Scalars("lr_find/suggestion")[0].value == pytest.approx(suggestion)
    with Image.open(run_dir / "lr_find.png") as image:
        image.verify()
        assert image.format == "PNG"
