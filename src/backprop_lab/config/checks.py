"""Config checks that run before anything is trained.

Lightning and torch would reject most bad values too, but late and in their
own words (`Invalid learning rate: -1.0` from deep inside `configure_optimizers`,
or not at all for `max_epochs=0`). These checks name the config field, say
what is allowed and stop the run before it starts. They are the only ones:
the network, data modules and callbacks the config builds take their
arguments as given, and eval and predict check a checkpoint's recorded
settings with this same table (`runs/rebuild.read_record`).
"""

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from backprop_lab.errors import ConfigError
from backprop_lab.models.activation_names import ACTIVATION_CLASSES


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _at_least_one(value: Any) -> bool:
    return _is_whole(value) and value >= 1


def _positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _non_negative(value: Any) -> bool:
    return _is_number(value) and value >= 0


def _fraction(value: Any) -> bool:
    return _is_number(value) and 0 <= value < 1


def _betas(value: Any) -> bool:
    return isinstance(value, (Sequence, ListConfig)) and len(value) == 2 and all(_fraction(b) for b in value)


def _hidden(value: Any) -> bool:
    return isinstance(value, (Sequence, ListConfig)) and len(value) > 0 and all(_is_whole(s) and s > 0 for s in value)


def _optional(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or test(value)


def _whole_from(low: int, high: int | None = None) -> Callable[[Any], bool]:
    return lambda value: _is_whole(value) and value >= low and (high is None or value <= high)


def _in_unit_interval(value: Any) -> bool:
    return _is_number(value) and 0 <= value <= 1


TAG = re.compile(r"[A-Za-z0-9_.-]{1,32}")


def _tags(value: Any) -> bool:
    # A whole number (tags=[2024]) is taken as its text; floats and booleans are refused.
    words = [str(t) if _is_whole(t) else t for t in value] if isinstance(value, (list, ListConfig)) else None
    return words is not None and all(isinstance(w, str) and TAG.fullmatch(w) for w in words)


def run_tags(cfg: DictConfig) -> list[str]:
    """The run's `tags` as text (after `check_config` has accepted them)."""
    return [str(tag) for tag in cfg.get("tags") or []]


# (config field, test, what is allowed). A field absent from the composed
# config is skipped, so a fork's own optimizer or model needs no entry here.
# Values that torch or Lightning refuse themselves are left to them (see
# config/builders.py); these are the ones they accept and then fail on, or use silently.
CHECKS: list[tuple[str, Callable[[Any], bool], str]] = [
    ("optimizer.lr", _positive, "a positive number, e.g. optimizer.lr=0.01"),
    ("optimizer.momentum", _in_unit_interval, "a number in [0, 1], e.g. optimizer.momentum=0.9"),
    ("optimizer.dampening", _in_unit_interval, "a number in [0, 1], e.g. optimizer.dampening=0"),
    ("optimizer.weight_decay", _non_negative, "a number >= 0, e.g. optimizer.weight_decay=0.01"),
    ("optimizer.alpha", _fraction, "a number in [0, 1), e.g. optimizer.alpha=0.99"),
    ("optimizer.eps", _positive, "a positive number, e.g. optimizer.eps=1e-8"),
    ("optimizer.betas", _betas, "two numbers in [0, 1), e.g. optimizer.betas=[0.9,0.999]"),
    ("scheduler.step_size", _at_least_one, "a whole number of epochs >= 1, e.g. scheduler.step_size=100"),
    ("scheduler.gamma", _positive, "a positive number (the lr's factor), e.g. scheduler.gamma=0.5"),
    ("scheduler.T_max", _at_least_one, "a whole number of epochs >= 1, e.g. scheduler.T_max=100"),
    ("scheduler.eta_min", _non_negative, "a number >= 0, e.g. scheduler.eta_min=0"),
    ("scheduler.patience", _whole_from(0), "a whole number of epochs >= 0, e.g. scheduler.patience=20"),
    ("lr_finder.min_lr", _positive, "a positive number, e.g. lr_finder.min_lr=1e-6"),
    ("lr_finder.max_lr", _positive, "a positive number above lr_finder.min_lr, e.g. lr_finder.max_lr=1"),
    ("lr_finder.num_training", _whole_from(2), "a whole number of steps >= 2, e.g. lr_finder.num_training=100"),
    ("lr_finder.mode", lambda v: v in ("exponential", "linear"), "exponential or linear, e.g. lr_finder.mode=linear"),
    (
        "lr_finder.early_stop_threshold",
        _optional(_positive),
        "a positive number, or null to run every step, e.g. lr_finder.early_stop_threshold=4",
    ),
    ("trainer.max_epochs", _at_least_one, "a whole number >= 1, e.g. trainer.max_epochs=100"),
    (
        "trainer.max_steps",
        lambda v: v == -1 or _at_least_one(v),
        "-1 (no limit) or a whole number >= 1, e.g. +trainer.max_steps=1000",
    ),
    (
        "trainer.check_val_every_n_epoch",
        _optional(_at_least_one),
        "a whole number >= 1, e.g. trainer.check_val_every_n_epoch=1",
    ),
    ("trainer.val_check_interval", _optional(_positive), "a positive number, e.g. +trainer.val_check_interval=0.5"),
    ("trainer.log_every_n_steps", _at_least_one, "a whole number >= 1, e.g. trainer.log_every_n_steps=1"),
    ("trainer.accumulate_grad_batches", _at_least_one, "a whole number >= 1, e.g. trainer.accumulate_grad_batches=1"),
    (
        "trainer.gradient_clip_val",
        _optional(_non_negative),
        "a number >= 0, or null to leave them alone, e.g. trainer.gradient_clip_val=1.0",
    ),
    ("model.net.hidden", _hidden, "a non-empty list of positive whole numbers, e.g. model.net.hidden=[8] or [16,16]"),
    (
        "model.net.activation",
        lambda v: v in ACTIVATION_CLASSES,
        f"one of {', '.join(ACTIVATION_CLASSES)}, e.g. model.net.activation=relu",
    ),
    (
        "data.batch_size",
        _optional(_at_least_one),
        "a whole number >= 1, or null for full batch, e.g. data.batch_size=32",
    ),
    ("data.n_samples", _whole_from(3), "a whole number >= 3, e.g. data.n_samples=1000"),
    ("data.noise", _non_negative, "a number >= 0, e.g. data.noise=0.1"),
    ("data.val_fraction", lambda v: _positive(v) and v < 1, "a number in (0, 1), e.g. data.val_fraction=0.2"),
    ("data.test_fraction", lambda v: _positive(v) and v < 1, "a number in (0, 1), e.g. data.test_fraction=0.2"),
    ("data.passes_per_epoch", _at_least_one, "a whole number >= 1, e.g. data.passes_per_epoch=10"),
    ("data.max_classes", _whole_from(2), "a whole number >= 2, e.g. data.max_classes=1000"),
    ("data.max_one_hot_columns", _at_least_one, "a whole number >= 1, e.g. data.max_one_hot_columns=1000"),
    ("torch_threads", _optional(_at_least_one), "a whole number >= 1, or null (torch's default), e.g. torch_threads=4"),
    ("seed", _whole_from(0, 2**32 - 1), "a whole number from 0 to 4294967295 (2^32-1), e.g. seed=3"),
    (
        "tags",
        _tags,
        "a list of short words (1-32 letters, digits, '-', '_' or '.'), e.g. 'tags=[baseline,xor]', or []",
    ),
    ("callbacks.early_stopping.patience", _whole_from(0), "a whole number of checks >= 0, e.g. patience=20"),
    ("callbacks.early_stopping.min_delta", _non_negative, "a number >= 0, e.g. min_delta=0.001"),
    ("callbacks.early_stopping.mode", lambda v: v in ("min", "max"), "min or max, e.g. mode=max for val/acc"),
    ("callbacks.update_telemetry.every_n_steps", _at_least_one, "a whole number >= 1, e.g. every_n_steps=10"),
    ("callbacks.histograms.every_n_epochs", _at_least_one, "a whole number >= 1, e.g. every_n_epochs=10"),
    ("callbacks.decision_boundary.every_n_epochs", _at_least_one, "a whole number >= 1, e.g. every_n_epochs=10"),
    ("callbacks.decision_boundary.resolution", _at_least_one, "a whole number >= 1, e.g. resolution=60"),
    ("callbacks.decision_boundary.pixels", _at_least_one, "a whole number >= 1, e.g. pixels=180"),
    ("callbacks.decision_boundary.max_rows", _at_least_one, "a whole number >= 1, e.g. max_rows=1000"),
    ("callbacks.histograms.bins", _at_least_one, "a whole number >= 1, e.g. bins=30"),
    *(
        (f"callbacks.{name}.max_points", _optional(_at_least_one), "a whole number >= 1 or null, e.g. max_points=50")
        for name in ("update_telemetry", "histograms", "decision_boundary", "loss_landscape")
    ),
    (
        "callbacks.loss_landscape.budget",
        _optional(_positive),
        "a positive share of the training's compute, or null for no bound, e.g. budget=0.05",
    ),
    ("callbacks.loss_landscape.every_n_steps", _at_least_one, "a whole number >= 1, e.g. every_n_steps=10"),
    (
        "callbacks.loss_landscape.every_n_epochs",
        _optional(_at_least_one),
        "a whole number >= 1 or null, e.g. every_n_epochs=5",
    ),
    ("callbacks.loss_landscape.directions", lambda v: v in ("pca", "random"), "pca or random, e.g. directions=random"),
    ("callbacks.loss_landscape.resolution", _whole_from(3), "a whole number >= 3, e.g. resolution=41"),
    ("callbacks.loss_landscape.margin", _non_negative, "a number >= 0, e.g. margin=0.25"),
    ("callbacks.loss_landscape.max_rows", _at_least_one, "a whole number >= 1, e.g. max_rows=2048"),
    (
        "callbacks.loss_landscape.chunk_size",
        _optional(_at_least_one),
        "a whole number >= 1, or null, e.g. chunk_size=256",
    ),
]

_ABSENT = object()


def _range_problems(cfg: DictConfig) -> list[str]:
    """Checks that compare two fields."""
    low, high = (OmegaConf.select(cfg, f"lr_finder.{k}", default=None) for k in ("min_lr", "max_lr"))
    if _positive(low) and _positive(high) and high <= low:
        return [
            f"lr_finder.max_lr={high} is not above lr_finder.min_lr={low}: the range test raises the lr from "
            "min_lr to max_lr, e.g. lr_finder.min_lr=1e-6 lr_finder.max_lr=1"
        ]
    return []


def config_problems(cfg: DictConfig) -> list[str]:
    """One sentence per field whose value is not allowed (or missing); empty if all are fine."""
    problems = [
        f"{key} has no value (??? in the config): it is required; set it on the command line, e.g. {key}=VALUE"
        for key in sorted(OmegaConf.missing_keys(cfg))
    ]
    for field, is_allowed, allowed in CHECKS:
        value = OmegaConf.select(cfg, field, default=_ABSENT)
        if value is _ABSENT or is_allowed(value):
            continue
        shown = OmegaConf.to_object(value) if isinstance(value, ListConfig) else value
        problems.append(f"{field}={shown!r} is not allowed: it must be {allowed}")
    return problems + _range_problems(cfg)


def check_config(cfg: DictConfig) -> None:
    """Raise `ConfigError` listing every field whose value is not allowed.

    The one place each value is checked: the classes the config builds
    (network, data module, callbacks) take their arguments as given.
    """
    problems = config_problems(cfg)
    if problems:
        raise ConfigError(
            "Invalid config, nothing was trained. "
            + "; ".join(problems)
            + ". Fix the value on the command line or in configs/, then run again."
        )
