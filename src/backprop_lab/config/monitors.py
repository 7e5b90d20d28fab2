"""Callbacks that watch a metric (early stopping, checkpoints) must name one the run logs, checked before training.

Lightning finds out only at the end of the first validation, after training
started, and then stops with a `RuntimeError` ("Early stopping conditioned on
metric `val/acc` which is not available"). What a run logs follows from its
task (a regression logs no accuracy), known once the model is built.
"""

from typing import Any

from omegaconf import DictConfig

from backprop_lab.errors import ConfigError


def logged_metrics(model: Any) -> list[str]:
    """The epoch metrics the model logs: every validation score of its task, the training loss and accuracy."""
    task = model.task
    return [f"val/{name}" for name in ["loss", *task.metrics()]] + [
        f"train/{name}" for name in ["loss", *task.train_metrics()]
    ]


def check_monitors(callbacks: DictConfig | None, model: Any) -> None:
    """Raise `ConfigError` naming each callback's `monitor` that the run does not log.

    Only a model with the template's `task` says what it logs; any other LightningModule is left to Lightning.
    """
    if not hasattr(model, "task"):
        return
    logged = logged_metrics(model)
    for name, node in (callbacks or {}).items():
        monitor = node.get("monitor") if isinstance(node, DictConfig) and "_target_" in node else None
        if monitor is not None and monitor not in logged:
            raise ConfigError(
                f"Invalid config, nothing was trained. callbacks.{name}.monitor={monitor!r} is not a metric this "
                f"run logs: the {model.task.name} task logs {', '.join(logged)}. Set it to one of those, e.g. "
                f"callbacks.{name}.monitor=val/loss."
            )
