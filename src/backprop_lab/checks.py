"""Config checks that run before anything is trained.

Lightning and torch would reject most bad values too, but late and in their
own words (`Invalid learning rate: -1.0` from deep inside `configure_optimizers`,
or not at all for `max_epochs=0`). These checks name the config field, say
what is allowed and stop the run before it starts.
"""

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from backprop_lab.errors import UserError
from backprop_lab.models.nets import ACTIVATIONS


class ConfigError(UserError, ValueError):
    """A config value that cannot work; the message names the field and what is allowed."""


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
CHECKS: list[tuple[str, Callable[[Any], bool], str]] = [
    ("optimizer.lr", _positive, "a positive number, e.g. optimizer.lr=0.01"),
    ("optimizer.momentum", _non_negative, "a number >= 0, e.g. optimizer.momentum=0.9"),
    ("optimizer.weight_decay", _non_negative, "a number >= 0"),
    ("optimizer.alpha", _fraction, "a number in [0, 1), e.g. optimizer.alpha=0.99"),
    ("optimizer.eps", _positive, "a positive number, e.g. optimizer.eps=1e-8"),
    ("optimizer.betas", _betas, "two numbers in [0, 1), e.g. optimizer.betas=[0.9,0.999]"),
    ("trainer.max_epochs", lambda v: _is_whole(v) and v >= 1, "a whole number >= 1, e.g. trainer.max_epochs=100"),
    ("model.net.hidden", _hidden, "a non-empty list of positive whole numbers, e.g. model.net.hidden=[8] or [16,16]"),
    ("model.net.activation", lambda v: v in ACTIVATIONS, f"one of {', '.join(ACTIVATIONS)}"),
    (
        "data.batch_size",
        lambda v: v is None or (_is_whole(v) and v >= 1),
        "a whole number >= 1, or null for full batch",
    ),
    ("data.n_samples", lambda v: _is_whole(v) and v >= 3, "a whole number >= 3, e.g. data.n_samples=1000"),
    ("data.noise", _non_negative, "a number >= 0, e.g. data.noise=0.1"),
    ("data.val_fraction", lambda v: _positive(v) and v < 1, "a number in (0, 1), e.g. data.val_fraction=0.2"),
    ("data.test_fraction", lambda v: _positive(v) and v < 1, "a number in (0, 1), e.g. data.test_fraction=0.2"),
    ("data.passes_per_epoch", lambda v: _is_whole(v) and v >= 1, "a whole number >= 1, e.g. data.passes_per_epoch=10"),
    ("torch_threads", lambda v: v is None or (_is_whole(v) and v >= 1), "a whole number >= 1, or null"),
    ("seed", _is_whole, "a whole number, e.g. seed=3"),
    (
        "tags",
        _tags,
        "a list of short words (1-32 letters, digits, '-', '_' or '.'), e.g. 'tags=[baseline,xor]', or []",
    ),
    ("callbacks.update_telemetry.every_n_steps", _at_least_one, "a whole number >= 1, e.g. every_n_steps=10"),
    ("callbacks.histograms.every_n_epochs", _at_least_one, "a whole number >= 1, e.g. every_n_epochs=10"),
    ("callbacks.decision_boundary.every_n_epochs", _at_least_one, "a whole number >= 1, e.g. every_n_epochs=10"),
]

_ABSENT = object()


def check_config(cfg: DictConfig) -> None:
    """Raise `ConfigError` listing every field whose value is not allowed."""
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
    if problems:
        raise ConfigError(
            "Invalid config, nothing was trained. "
            + "; ".join(problems)
            + ". Fix the value on the command line or in configs/, then run again."
        )
