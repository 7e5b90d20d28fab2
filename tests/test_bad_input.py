"""A user's mistake is refused before training, in one paragraph that names the field; never a traceback.

The messages are tested here by calling the checks directly (fast);
tests/test_exit_codes.py runs the real entry points for the exit codes.
"""

import re

import pytest
import torch

from backprop_lab.config.checks import CHECKS, check_config
from backprop_lab.errors import ConfigError, UserError
from backprop_lab.runs.resume import check_room_to_train
from backprop_lab.train import build, train

from helpers import SCRIPTS, compose_train, read_metrics, run_in_process

EARLY = "callbacks=[default,early_stopping]"
# id: override(s), what the message must say: the value, then what is allowed.
CONFIG_CASES = {
    "negative lr": ("optimizer.lr=-1", "optimizer.lr=-1", "a positive number"),
    "text lr": ("optimizer.lr=abc", "optimizer.lr='abc'", "a positive number"),
    "zero epochs": ("trainer.max_epochs=0", "trainer.max_epochs=0", "a whole number >= 1"),
    "empty hidden": ("model.net.hidden=[]", "model.net.hidden=[]", "a non-empty list"),
    "zero hidden": ("model.net.hidden=[8,0]", "model.net.hidden=[8, 0]", "a non-empty list of positive whole"),
    "unknown activation": ("model.net.activation=swish", "model.net.activation='swish'", "one of tanh, relu"),
    "negative seed": ("seed=-1", "seed=-1", "a whole number from 0 to 4294967295"),
    "seed above 2^32-1": ("seed=4294967296", "seed=4294967296", "a whole number from 0 to 4294967295"),
    "momentum above 1": ("optimizer.momentum=1.5", "optimizer.momentum=1.5", "a number in [0, 1]"),
    "step_size 0": ("scheduler=step scheduler.step_size=0", "scheduler.step_size=0", "a whole number of epochs >= 1"),
    "gamma 0": ("scheduler=step scheduler.gamma=0", "scheduler.gamma=0", "a positive number"),
    "negative gamma": ("scheduler=step scheduler.gamma=-0.5", "scheduler.gamma=-0.5", "a positive number"),
    "finder min_lr 0": ("lr_finder=range_test lr_finder.min_lr=0", "lr_finder.min_lr=0", "a positive number"),
    "finder no steps": ("lr_finder=range_test lr_finder.num_training=0", "lr_finder.num_training=0", "a whole number"),
    "finder mode": ("lr_finder=range_test lr_finder.mode=cubic", "lr_finder.mode='cubic'", "exponential or linear"),
    "validate every 0": ("trainer.check_val_every_n_epoch=0", "trainer.check_val_every_n_epoch=0", "a whole number"),
    "validate every 0 steps": ("+trainer.val_check_interval=0", "trainer.val_check_interval=0", "a positive number"),
    "negative clip": ("trainer.gradient_clip_val=-1", "trainer.gradient_clip_val=-1", "a number >= 0"),
    "patience text": (f"{EARLY} callbacks.early_stopping.patience=abc", "patience='abc'", "a whole number of checks"),
    "patience -1": (f"{EARLY} callbacks.early_stopping.patience=-1", "patience=-1", "a whole number of checks"),
    "early stop mode": (f"{EARLY} callbacks.early_stopping.mode=lowest", "mode='lowest'", "min or max"),
}


@pytest.mark.parametrize(("overrides", "value", "allowed"), CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_bad_value_is_named_with_what_is_allowed(overrides, value, allowed):
    with pytest.raises(ConfigError) as err:
        check_config(compose_train(*overrides.split()))
    message = str(err.value)
    assert message.startswith("Invalid config, nothing was trained.")
    assert f"{value} is not allowed: it must be {allowed}" in message
    assert re.search(rf"{re.escape(allowed)}[^;]*, e\.g\. ", message)  # an example follows


def test_every_config_check_gives_an_example():
    assert [field for field, _, allowed in CHECKS if ", e.g. " not in allowed] == []


def test_lr_finder_range_must_go_up():
    with pytest.raises(ConfigError, match=r"lr_finder.max_lr=1.0 is not above lr_finder.min_lr=2: .* e.g. "):
        check_config(compose_train("lr_finder=range_test", "lr_finder.min_lr=2"))


def test_several_problems_are_reported_together():
    with pytest.raises(ConfigError) as err:
        check_config(compose_train("optimizer.lr=0", "trainer.max_epochs=-3"))
    assert "optimizer.lr=0" in str(err.value) and "trainer.max_epochs=-3" in str(err.value)


# What torch or Lightning refuse when the object is built, re-worded: override(s), the field named, the hint.
BUILD_CASES = {
    "gpu without one": ("trainer=gpu", "Trainer refused trainer.accelerator='gpu'", "e.g. trainer=cpu"),
    "bad precision": ("trainer.precision=15", "Trainer refused trainer.precision=15", "e.g. trainer.precision=32-true"),
    "zero devices": ("trainer.devices=0", "Trainer refused trainer.devices=0", "e.g. trainer.devices=1"),
    "text devices": ("trainer.devices=abc", "Trainer refused trainer.devices='abc'", "e.g. trainer.devices=1"),
    "unknown trainer argument": (
        "+trainer.max_epoch=5",
        "trainer.max_epoch is not an argument of lightning.pytorch.Trainer: remove +trainer.max_epoch",
        "e.g. trainer.max_epochs=100",
    ),
    "nesterov without momentum": (
        "optimizer.nesterov=true optimizer.momentum=0",
        "SGD refused optimizer.nesterov=True, optimizer.momentum=0",
        "e.g. optimizer.nesterov=true optimizer.momentum=0.9 optimizer.dampening=0",
    ),
    "nesterov with dampening": (
        "optimizer.nesterov=true optimizer.dampening=0.5",
        "optimizer.dampening=0.5: Nesterov momentum requires a momentum and zero dampening.",
        "e.g. optimizer.nesterov=true optimizer.momentum=0.9 optimizer.dampening=0",
    ),
    "unknown optimizer argument": (
        "+optimizer.beta=0.9",
        "optimizer.beta is not an argument of torch.optim.SGD",
        "e.g. ",
    ),
    "a fork's own optimizer": (
        "optimizer._target_=torch.optim.Adagrad +optimizer.lr_decay=-1 "
        "~optimizer.momentum ~optimizer.dampening ~optimizer.nesterov",
        "Adagrad refused optimizer.lr_decay=-1: Invalid lr_decay value: -1.",
        "Set optimizer.lr_decay to what torch.optim.Adagrad allows",
    ),
    "optimizer that does not exist": (
        "optimizer._target_=torch.optim.NoSuchOptimizer",
        "optimizer._target_=torch.optim.NoSuchOptimizer cannot be imported",
        "e.g. optimizer=adam",
    ),
    "checkpoint save_top_k": (
        "callbacks.model_checkpoint.save_top_k=-2",
        "ModelCheckpoint refused callbacks.model_checkpoint.save_top_k=-2: Invalid value for save_top_k=-2.",
        "Set callbacks.model_checkpoint.save_top_k to what",
    ),
    "unknown callback argument": (
        "+callbacks.lr_monitor.every=2",
        "callbacks.lr_monitor.every is not an argument",
        "e.g.",
    ),
    "plateau factor 2": (
        "scheduler=plateau scheduler.factor=2",
        "refused scheduler.factor=2",
        "e.g. scheduler.factor=0.5",
    ),
}


@pytest.mark.parametrize(("overrides", "named", "hint"), BUILD_CASES.values(), ids=BUILD_CASES.keys())
def test_what_torch_or_lightning_refuse_is_reworded_to_name_the_field(overrides, named, hint, tmp_path):
    if "gpu" in overrides and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    cfg = compose_train(*overrides.split(), "logger=none", output_dir=tmp_path)
    check_config(cfg)  # in range for the config checks: it is the class that refuses it
    with pytest.raises(ConfigError) as err:
        build(cfg)
    assert str(err.value).startswith("Invalid config, nothing was trained.")
    assert named in str(err.value) and hint in str(err.value), str(err.value)


def test_unknown_lr_finder_argument_is_named(tmp_path):
    cfg = compose_train("lr_finder=range_test", "+lr_finder.steps=10", "logger=none", output_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"lr_finder.steps is not an argument of \w+.tuning.lr_finder.run_range_test"):
        train(cfg)
    assert read_metrics(tmp_path)["status"] == "failed"


def checkpoint_after(epochs: int, steps: int) -> dict:
    """What Lightning saves at the end of an epoch: the loop counters resume reads."""
    progress = {"current": {"ready": epochs, "started": epochs, "processed": epochs, "completed": epochs - 1}}
    return {"epoch": epochs - 1, "global_step": steps, "loops": {"fit_loop": {"epoch_progress": progress}}}


RESUME_CASES = {
    "below": (
        ["trainer.max_epochs=100"],
        "trainer.max_epochs=100 is not allowed when resuming from last.ckpt: that run has already trained 145 epochs, "
        "so there is nothing left to train. trainer.max_epochs counts from the start of the first run: set it above "
        "145, e.g. trainer.max_epochs=245 for 100 more epochs.",
    ),
    "equal": (["trainer.max_epochs=145"], "set it above 145, e.g. trainer.max_epochs=290"),
    "max_steps": (["trainer.max_epochs=300", "+trainer.max_steps=1450"], "trainer.max_steps=1450 is not allowed"),
}


@pytest.mark.parametrize(("overrides", "message"), RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_resuming_with_no_epochs_left_is_refused(overrides, message):
    with pytest.raises(ConfigError) as err:
        check_room_to_train(compose_train(*overrides), checkpoint_after(145, 1450), "last.ckpt")
    assert message in str(err.value)
    check_room_to_train(compose_train("trainer.max_epochs=146"), checkpoint_after(145, 1450), "last.ckpt")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"garbage", "cannot be read"),
        ({"state_dict": {}, "hook": print}, "Refusing to load"),
        (None, "train=false tests a trained checkpoint, but ckpt_path is not set"),
    ],
    ids=["corrupt", "unsafe", "none"],
)
def test_test_only_run_refuses_a_bad_checkpoint_before_testing(content, message, tmp_path):
    path = tmp_path / "model.ckpt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        torch.save(content, path)
    ckpt = [f"ckpt_path={path}"] if content is not None else []
    cfg = compose_train("train=false", *ckpt, "logger=none", "~callbacks.progress_bar", output_dir=tmp_path / "run")
    with pytest.raises(UserError, match=message):
        train(cfg)
    assert read_metrics(tmp_path / "run")["status"] == "failed"


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        ("backprop_by_hand.py", ["--hidden", "0"], "argument --hidden: 0 is not allowed"),
        ("backprop_by_hand.py", ["--lr", "nan"], "argument --lr: 'nan' is not allowed"),
        ("backprop_by_hand.py", ["--epochs", "-5"], "argument --epochs: -5 is not allowed"),
        ("benchmark.py", ["--repeats", "0"], "argument --repeats: 0 is not allowed"),
        ("compare_sklearn.py", ["--seeds", "1", "-2"], "argument --seeds: -2 is not allowed"),
        ("decision_boundary_filmstrip.py", ["--columns", "x"], "argument --columns: 'x' is not a whole number"),
        ("gpu_check.py", ["--repeats", "-1"], "argument --repeats: -1 is not allowed"),
        ("option_cost.py", ["--repeats", "0"], "argument --repeats: 0 is not allowed"),
        ("telemetry_cost.py", ["--repeats", "1.5"], "argument --repeats: '1.5' is not a whole number"),
    ],
)
def test_every_scripts_numeric_options_are_checked_when_parsed(script, args, message):
    proc = run_in_process(SCRIPTS / script, *args)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("overrides", "monitor", "task"),
    [
        ([EARLY, "callbacks.early_stopping.monitor=val/accuracy"], "val/accuracy", "binary"),
        ([EARLY, "experiment=diabetes", "callbacks.early_stopping.monitor=val/acc"], "val/acc", "regression"),
        (["experiment=diabetes", "callbacks.model_checkpoint.monitor=val/auroc"], "val/auroc", "regression"),
    ],
    ids=["never-logged", "acc-on-regression", "checkpoint-monitor"],
)
def test_a_monitor_the_run_does_not_log_is_refused_before_training(tmp_path, overrides, monitor, task):
    with pytest.raises(ConfigError, match=rf"monitor='{monitor}' is not a metric this run logs: the {task} task logs"):
        train(compose_train(*overrides, "~callbacks.progress_bar", output_dir=tmp_path))
    assert read_metrics(tmp_path)["status"] == "failed" and not (tmp_path / "checkpoints").exists()


def test_non_finite_validation_and_test_metrics_end_the_run_as_failed(tmp_path):
    data = tmp_path / "huge.csv"  # targets near 1e20: their squared errors overflow float32
    data.write_text("x,y\n" + "".join(f"{i % 7},{(1 + i % 5) * 1e20}\n" for i in range(40)))
    overrides = ["data=csv", f"data.path={data}", "data.target=y", "data.task=regression", "trainer.max_epochs=2"]
    with pytest.raises(UserError, match=r"metrics are not finite: .*val/mse=inf"):
        train(compose_train(*overrides, "debug=quiet", output_dir=tmp_path / "run"))
    summary = read_metrics(tmp_path / "run")
    assert summary["status"] == "failed" and "not finite" in summary["error"]
