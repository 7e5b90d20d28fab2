"""Runs that survive: a real signal to a real training process, then resume; the same seed twice.

The interrupted run is stopped part way with SIGTERM once its first
checkpoint exists; resuming it must end exactly where the uninterrupted run
ends (CPU, `trainer.deterministic=true`). Ctrl-C (SIGINT) in the middle of
training is tested by the docs' resume example (tests/test_docs.py).
"""

import signal
import subprocess
from pathlib import Path

import pytest
import torch

from backprop_lab.errors import ConfigError
from backprop_lab.runs.resume import check_same_training
from backprop_lab.train import build
from backprop_lab.train import train as run_train_task

from helpers import QUIET, TRAIN_SCRIPT, compose_train, read_metrics, run_in_process, signal_when, start_script

EPOCHS = 20
# Adam's moments, a step schedule and shuffled mini-batches: every piece of state a resume must restore.
SETUP = [
    "optimizer=adam",
    "scheduler=step",
    "scheduler.step_size=3",
    "scheduler.gamma=0.8",
    "data.batch_size=2",
    "trainer.deterministic=true",
    "trainer.accelerator=cpu",
    f"trainer.max_epochs={EPOCHS}",
    # The pictures and update statistics never change training (tests/test_update_telemetry.py): off, for speed.
    *(f"~callbacks.{name}" for name in ("update_telemetry", "histograms", "decision_boundary", "loss_landscape")),
]


def train(run_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    """Train in this process (the signals below need a process of their own; resuming does not)."""
    return run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}", *SETUP, *overrides)


def final_parameters(run_dir: Path) -> dict[str, torch.Tensor]:
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    return {k: v for k, v in checkpoint["state_dict"].items() if k.startswith("net.")}


def interrupt(run_dir: Path, signum: signal.Signals) -> subprocess.CompletedProcess:
    """Start training, send `signum` once the first checkpoint is written, wait for the process to end."""
    proc = start_script(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}", *SETUP)
    return signal_when(proc, (run_dir / "checkpoints" / "last.ckpt").exists, signum)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    proc = train(run_dir)
    assert proc.returncode == 0, proc.stderr
    return run_dir


def test_sigterm_then_resume_equals_the_uninterrupted_run(uninterrupted, tmp_path):
    proc = interrupt(tmp_path / "interrupted", signal.SIGTERM)
    assert proc.returncode == 143, proc.stderr
    stopped = read_metrics(tmp_path / "interrupted")
    assert stopped["status"] == "interrupted"
    assert "SIGTERM" in stopped["error"] and "resume=" in stopped["error"]
    assert 0 < stopped["epochs"] < EPOCHS, "the signal came too late to interrupt anything"
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "interrupted").iterdir())
    # last.ckpt is the newest completed epoch (not the newest best one): at most the current epoch is redone.
    assert torch.load(stopped["last_checkpoint"], weights_only=True)["epoch"] >= stopped["epochs"] - 1

    proc = train(tmp_path / "resumed", f"resume={tmp_path / 'interrupted'}")
    assert proc.returncode == 0, proc.stderr
    resumed, reference = read_metrics(tmp_path / "resumed"), read_metrics(uninterrupted)
    assert resumed["loaded_checkpoint"] == str(tmp_path / "interrupted" / "checkpoints" / "last.ckpt")
    assert (resumed["epochs"], resumed["global_step"]) == (reference["epochs"], reference["global_step"])
    assert resumed["metrics"] == pytest.approx(reference["metrics"], rel=0, abs=1e-7)
    for name, value in final_parameters(uninterrupted).items():
        torch.testing.assert_close(final_parameters(tmp_path / "resumed")[name], value, rtol=0, atol=1e-7)
    assert read_metrics(tmp_path / "interrupted") == stopped  # the interrupted run's folder is left as it was


def test_same_seed_twice_gives_identical_runs(uninterrupted, tmp_path):
    proc = train(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert read_metrics(tmp_path)["metrics"] == read_metrics(uninterrupted)["metrics"]
    for name, value in final_parameters(uninterrupted).items():
        assert torch.equal(final_parameters(tmp_path)[name], value), name


def test_resume_with_a_different_optimizer_setting_is_refused(uninterrupted):
    """Lightning would restore the old lr from the checkpoint and silently ignore the new one."""
    last = uninterrupted / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(last, weights_only=True)
    cfg = compose_train(*SETUP, f"resume={uninterrupted}", "optimizer.lr=0.001", "trainer.max_epochs=50")
    with pytest.raises(ConfigError, match="optimizer.lr=0.05 in that run but 0.001 now"):
        check_same_training(cfg, uninterrupted, checkpoint, last)
    longer = compose_train(*SETUP, "trainer.max_epochs=50")
    check_same_training(longer, uninterrupted, checkpoint, last)  # training longer is fine


def test_resume_with_max_epochs_already_reached_is_refused_before_training(uninterrupted, tmp_path):
    """Lightning would end in a long traceback ("You restored a checkpoint with current_epoch=20 ...")."""
    for max_epochs in (EPOCHS // 2, EPOCHS):
        cfg = compose_train(*SETUP, f"resume={uninterrupted}", f"trainer.max_epochs={max_epochs}", output_dir=tmp_path)
        with pytest.raises(ConfigError, match=f"that run has already trained {EPOCHS} epochs.* e.g. trainer.max_e"):
            run_train_task(cfg)
        assert read_metrics(tmp_path)["status"] == "failed" and not (tmp_path / "checkpoints").exists()


def initial_weights(seed: int) -> dict[str, torch.Tensor]:
    _, model, _ = build(compose_train(f"seed={seed}"))
    return {name: value.clone() for name, value in model.state_dict().items()}


def test_the_seed_alone_decides_the_initial_weights():
    first, again, other = initial_weights(0), initial_weights(0), initial_weights(1)
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not torch.equal(first["net.hidden1.weight"], other["net.hidden1.weight"])
