"""End to end through scripts/train.py: the run folder, its checkpoint and event files, XOR solved."""

import warnings
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from backprop_lab.runs.name import tensorboard_dir
from backprop_lab.train import train

from helpers import TRAINING_ONLY, compose_train, read_metrics


def scalar_tags(run_dir) -> set[str]:
    events = EventAccumulator(str(tensorboard_dir(run_dir)))
    events.Reload()
    return set(events.Tags()["scalars"])


def test_short_run_leaves_a_complete_run_folder(train_run):
    proc, run_dir = train_run("trainer.max_epochs=5", "optimizer=adam")
    assert proc.returncode == 0, proc.stderr
    assert (run_dir / ".hydra" / "config.yaml").is_file()

    metrics = read_metrics(run_dir)
    assert metrics["status"] == "success" and metrics["error"] is None
    assert metrics["epochs"] == 5
    for name in ["train/loss", "train/acc", "val/loss", "val/acc", "test/loss", "test/acc"]:
        assert 0 <= metrics["metrics"][name] < 10, name
    assert metrics["wall_time_s"] > 0 and metrics["cpu_time_s"] > 0

    best = run_dir / "checkpoints" / metrics["best_checkpoint"].split("/")[-1]
    assert best.is_file() and (run_dir / "checkpoints" / "last.ckpt").is_file()
    checkpoint = torch.load(best, weights_only=True)  # no pickled modules or partials
    assert "net.output.weight" in checkpoint["state_dict"]

    assert {"train/loss", "train/acc", "val/loss", "val/acc"} <= scalar_tags(run_dir)
    assert "test/acc" in proc.stderr + proc.stdout  # the final table is printed
    # The last lines say how to look at the run; the folder is outside the working directory: an absolute path.
    assert f"View it in TensorBoard: tensorboard --logdir {run_dir / 'tensorboard'}" in proc.stderr + proc.stdout


def test_a_default_run_raises_no_warning(tmp_path):
    """Every warning a default run shows is noise a newcomer must learn to ignore; Lightning's own on torch 2.13 too."""
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        train(compose_train("trainer.max_epochs=2", output_dir=tmp_path))
    assert [f"{w.category.__name__}: {w.message} ({w.filename})" for w in shown] == []


def test_tensorboard_command_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    from backprop_lab.train import tensorboard_command

    monkeypatch.chdir(tmp_path)
    assert tensorboard_command(tmp_path / "logs" / "run 1" / "tensorboard") == (
        "tensorboard --logdir 'logs/run 1/tensorboard'"
    )


def test_default_config_solves_xor(trained_run):
    metrics = read_metrics(trained_run)["metrics"]
    assert metrics["test/acc"] == 1.0
    assert metrics["test/loss"] < 0.1


def trained_acc(run_dir: Path, *overrides: str) -> float:
    """The train task on the composed config (what the command line would run, without Hydra's run set-up)."""
    train(compose_train(*overrides, *TRAINING_ONLY, output_dir=run_dir))
    return read_metrics(run_dir)["metrics"]["test/acc"]


@pytest.mark.slow
def test_default_config_solves_xor_for_seeds_0_to_9(tmp_path):
    accuracies = {seed: trained_acc(tmp_path / str(seed), f"seed={seed}") for seed in range(10)}  # `-m seed=range(10)`
    assert accuracies == {seed: 1.0 for seed in range(10)}


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "adamw", "nadam", "radam", "adagrad"])
def test_each_optimizer_solves_xor_with_its_default_lr(tmp_path, optimizer):
    assert trained_acc(tmp_path, f"optimizer={optimizer}") == 1.0


def test_bf16_mixed_precision_trains_on_the_cpu(train_run):
    """The GPU check's bf16-mixed variant, here on the CPU, where autocast to bfloat16 exists too."""
    proc, run_dir = train_run("trainer.precision=bf16-mixed", "trainer.max_epochs=2", *TRAINING_ONLY, quiet=False)
    assert proc.returncode == 0, proc.stderr
    record = read_metrics(run_dir)
    assert record["status"] == "success" and 0 < record["metrics"]["test/loss"] < 1


def test_logistic_model_cannot_learn_xor(train_run):
    """The article's Linear(2,1)+sigmoid draws one straight line: at most 3 of 4 XOR points right."""
    proc, run_dir = train_run("model=logistic", "optimizer=adam", "trainer.max_epochs=30", *TRAINING_ONLY, quiet=False)
    assert proc.returncode == 0, proc.stderr
    metrics = read_metrics(run_dir)["metrics"]
    assert metrics["test/acc"] <= 0.75
    assert metrics["train/loss"] > 0.45


def test_scheduler_and_csv_logger_run(train_run):
    proc, run_dir = train_run(
        "scheduler=step",
        "scheduler.step_size=1",
        "scheduler.gamma=0.5",
        "logger=csv",
        "trainer.max_epochs=3",
        "~callbacks.update_telemetry",
        "~callbacks.histograms",
        "~callbacks.decision_boundary",
        "~callbacks.loss_landscape",
    )
    assert proc.returncode == 0, proc.stderr
    metrics = read_metrics(run_dir)["metrics"]
    assert metrics["lr"] == pytest.approx(0.5 * 0.5**2)  # the lr the third epoch trained with
    assert (run_dir / "csv" / "metrics.csv").is_file()
