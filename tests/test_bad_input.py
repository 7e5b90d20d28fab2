"""Bad values stop the run before training, name the field, exit non-zero and never look like success."""

import pytest

from conftest import read_metrics

CASES = {
    "negative lr": ("optimizer.lr=-1", "optimizer.lr", "positive number"),
    "text lr": ("optimizer.lr=abc", "optimizer.lr", "positive number"),
    "zero epochs": ("trainer.max_epochs=0", "trainer.max_epochs", "whole number >= 1"),
    "empty hidden": ("model.net.hidden=[]", "model.net.hidden", "non-empty list"),
    "zero hidden": ("model.net.hidden=[8,0]", "model.net.hidden", "positive whole numbers"),
    "unknown activation": ("model.net.activation=swish", "model.net.activation", "one of tanh, relu"),
}


@pytest.mark.parametrize("override,field,allowed", CASES.values(), ids=CASES.keys())
def test_bad_value_is_named_and_stops_the_run(train_run, override, field, allowed):
    proc, run_dir = train_run(override)
    assert proc.returncode != 0
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("error: Invalid config")
    assert field in message and allowed in message
    assert "Traceback" not in proc.stderr
    assert read_metrics(run_dir)["status"] == "failed"
    assert not (run_dir / "checkpoints").exists()


def test_unknown_optimizer_lists_the_available_ones(train_run):
    proc, run_dir = train_run("optimizer=no_such_optimizer")
    assert proc.returncode != 0
    for name in ["adam", "adamw", "rmsprop", "sgd"]:
        assert name in proc.stderr
    assert not (run_dir / "metrics.json").exists()


def test_several_problems_are_reported_together(train_run):
    proc, _ = train_run("optimizer.lr=0", "trainer.max_epochs=-3")
    assert proc.returncode != 0
    assert "optimizer.lr=0" in proc.stderr and "trainer.max_epochs=-3" in proc.stderr
