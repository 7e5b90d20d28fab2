"""The one place a model is built: for training, and for eval and predict from a checkpoint's record.

Built from the network settings (a model config: `configs/model/<option>.yaml`,
the project's own file, with the run's values), the task and the shape of
the data's input rows (`models/build.py` gives the network what it names of
it); the same call in both directions means a checkpoint is rebuilt exactly
as it was trained.
"""

from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from backprop_lab.models.build import build_net


def build_task_model(
    model: DictConfig,
    task: str,
    num_classes: int,
    input_shape: Sequence[int],
    optimizer: Callable[..., Any] | None = None,
    scheduler: Callable[..., Any] | None = None,
) -> L.LightningModule:
    """The LightningModule of `model` for `task` on rows of `input_shape`; eval and predict need no optimizer."""
    net = build_net(model.net, input_shape, num_classes if task == "multiclass" else 1)
    return instantiate(model, net=net, optimizer=optimizer, scheduler=scheduler, task=task, num_classes=num_classes)
