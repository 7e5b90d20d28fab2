"""Training's side of the run record (`runs/record.py`): every checkpoint the Trainer saves carries one."""

from typing import Any

import lightning as L
from omegaconf import DictConfig, OmegaConf

from backprop_lab.config.options import flatten, option_of
from backprop_lab.data.checks import input_shape_of
from backprop_lab.errors import ConfigError
from backprop_lab.runs import record
from backprop_lab.runs.record import GROUPS, SETTINGS, RunRecord


def training_settings(cfg: DictConfig) -> dict[str, Any]:
    """The settings that define a training (data, model, optimizer, scheduler, seed), resolved and flat.

    They go into every checkpoint as plain data, so a value that is not plain (a dict inside a list) is
    refused here, before training, rather than at the first checkpoint.
    """
    settings: dict[str, Any] = {}
    for key in SETTINGS:
        value = OmegaConf.select(cfg, key, default=None)
        settings.update(
            flatten(OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value, key)
        )
    problem = record.settings_problem(settings)
    if problem:
        raise ConfigError(
            f"Invalid config, nothing was trained. {problem}. Every value under {', '.join(SETTINGS)} is stored in "
            "the checkpoints as plain data, which eval, predict and resume read back. Fix the value on the command "
            "line or in configs/, then run again."
        )
    return settings


class RecordInCheckpoint(L.Callback):
    """Adds the run record to every checkpoint the Trainer saves."""

    def __init__(self, cfg: DictConfig) -> None:
        self.options = {group: option_of(group, cfg.get(group)) for group in GROUPS}
        self.settings = training_settings(cfg)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        datamodule = trainer.datamodule
        fitted = getattr(datamodule, "fitted_preprocessing", None)
        made = RunRecord(
            options=self.options,
            settings=self.settings,
            input_shape=[int(n) for n in input_shape_of(datamodule)],
            task=pl_module.task.name,
            num_classes=int(pl_module.task.num_classes),
            class_names=[str(name) for name in getattr(datamodule, "class_names", [])],
            preprocessing=fitted() if callable(fitted) else {},
        )
        checkpoint[record.RECORD_KEY] = record.record_as_data(made)
