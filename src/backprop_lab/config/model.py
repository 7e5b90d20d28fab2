"""The one place a model is built: for training, and for eval and predict from a checkpoint's record.

Built from the network settings (a model config: `configs/model/<option>.yaml`,
the project's own file, with the run's values), the task and the data's
input width; the same call in both directions means a checkpoint is rebuilt
exactly as it was trained.
"""

from collections.abc import Callable
from typing import Any

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from backprop_lab.config.task_choice import net_width


def build_task_model(
    model: DictConfig,
    task: str,
    num_classes: int,
    in_features: int,
    optimizer: Callable[..., Any] | None = None,
    scheduler: Callable[..., Any] | None = None,
) -> L.LightningModule:
    """The LightningModule of `model` for `task` on `in_features` inputs; eval and predict need no optimizer."""
    net = instantiate(model.net, in_features=in_features, **net_width(task, num_classes))
    return instantiate(model, net=net, optimizer=optimizer, scheduler=scheduler, task=task, num_classes=num_classes)
