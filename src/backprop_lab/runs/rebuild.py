"""What eval and predict need to rebuild a trained model, stored in its checkpoint as plain data.

Every checkpoint of a training run carries, under `backprop_lab`, the run's
training settings (data, model, optimizer, scheduler, seed; resolved, plain
dicts), the shape of the network's input rows, the task with its number of classes
and class names, and the data's fitted preprocessing (feature means and
scales, a regression target's mean and scale, column names, a fingerprint
of the data file).
It loads with `torch.load(weights_only=True)` like the weights, so a
checkpoint copied out of its run folder still predicts, with the scaling it
was trained with rather than one recomputed from today's data file.

A checkpoint written before this record existed falls back to its run
folder's `.hydra/config.yaml`. Either way every `_target_` passes
`backprop_lab.config.allowlist` before anything is instantiated.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from backprop_lab.config.allowlist import check_targets
from backprop_lab.config.checks import config_problems
from backprop_lab.errors import CheckpointError
from backprop_lab.models.build import build_net
from backprop_lab.runs.checkpoints import run_dir_of

RECORD_KEY = "backprop_lab"
SETTINGS = ("data", "model", "optimizer", "scheduler", "seed")


def training_settings(cfg: DictConfig) -> dict[str, Any]:
    """The settings that define a training, resolved into plain values."""
    settings = {}
    for key in SETTINGS:
        value = OmegaConf.select(cfg, key, default=None)
        settings[key] = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    return settings


class RecordInCheckpoint(L.Callback):
    """Adds the rebuild record to every checkpoint the Trainer saves."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        datamodule = trainer.datamodule
        fitted = getattr(datamodule, "fitted_preprocessing", None)
        task = getattr(pl_module, "task", None)
        checkpoint[RECORD_KEY] = {
            "settings": self.settings,
            "input_shape": list(getattr(datamodule, "input_shape", None) or ()),
            "preprocessing": fitted() if callable(fitted) else {},
            "task": getattr(task, "name", "binary"),
            "num_classes": getattr(task, "num_classes", 2),
            "class_names": list(getattr(datamodule, "class_names", [])),
        }


def read_record(checkpoint: dict[str, Any], ckpt_path: str | Path) -> dict[str, Any]:
    """The checkpoint's rebuild record, or one made from its run folder's config; every target checked."""
    record = checkpoint.get(RECORD_KEY)
    source = f"the checkpoint {ckpt_path}"
    if not isinstance(record, dict) or not isinstance(record.get("settings"), dict):
        path = run_dir_of(ckpt_path) / ".hydra" / "config.yaml"
        if not path.is_file():
            raise CheckpointError(
                f"{ckpt_path} holds no record of the model and data it was trained with (it predates that record) "
                f"and is not inside a training run folder: there is no {path}. Use a checkpoint where training "
                "left it, <run folder>/checkpoints/*.ckpt, or copy the whole run folder."
            )
        source = str(path)
        try:
            record = {"settings": training_settings(OmegaConf.load(path)), "input_shape": None, "preprocessing": {}}
        except OmegaConfBaseException as err:
            raise CheckpointError(f"Cannot read {path}: {err}. Restore the run folder's config.yaml.") from err
    settings = record["settings"]
    for key in ("data", "model", "optimizer", "scheduler"):
        check_targets(settings.get(key), key, source)
    model = settings.get("model")
    if not all(isinstance(settings.get(k), dict) for k in ("data", "optimizer")) or not (
        isinstance(model, dict) and isinstance(model.get("net"), dict)
    ):
        raise CheckpointError(
            f"{source} does not describe a model and data this project can rebuild (it needs data, model.net and "
            "optimizer sections). Use a checkpoint written by scripts/train.py, in its run folder."
        )
    try:
        problems = config_problems(OmegaConf.create({key: settings.get(key) for key in SETTINGS}))
    except OmegaConfBaseException as err:
        problems = [f"they are not plain config values ({err})"]
    if problems:
        raise CheckpointError(
            f"{source} records settings this project refuses: {'; '.join(problems)}. "
            "Use a checkpoint written by scripts/train.py, in its run folder."
        )
    return record


def build_data(record: dict[str, Any]) -> L.LightningDataModule:
    """The data module of the training run, set to scale with the training run's own statistics."""
    datamodule = instantiate(record["settings"]["data"])
    use = getattr(datamodule, "use_preprocessing", None)
    if record.get("preprocessing") and callable(use):
        use(record["preprocessing"])
    return datamodule


def record_task(record: dict[str, Any]) -> tuple[str, int]:
    """The record's task and number of classes (binary for a checkpoint older than tasks)."""
    return str(record.get("task") or "binary"), int(record.get("num_classes") or 2)


def check_classes(record: dict[str, Any], datamodule: L.LightningDataModule, ckpt_path: str | Path) -> None:
    """Refuse data whose task or number of classes is not the checkpoint's: its scores would be nonsense."""
    task, num_classes = record_task(record)
    classes = getattr(datamodule, "num_classes", 2)  # reads the data first: a CSV's task comes from its labels
    theirs = (getattr(datamodule, "task", "binary"), classes)
    if theirs != (task, num_classes if task != "regression" else 0):
        raise CheckpointError(
            f"Checkpoint {ckpt_path} was trained for the {task} task with {num_classes} classes, but the data hold "
            f"the {theirs[0]} task with {theirs[1]} classes. Evaluate it on the data it was trained on (the same "
            "data settings and file), or train a new model on these data."
        )


def build_model(record: dict[str, Any], input_shape: Sequence[int]) -> L.LightningModule:
    """The LightningModule of the training run, from the record's (checked) settings, task and classes."""
    settings = record["settings"]
    model = dict(settings["model"])
    task, num_classes = record_task(record)
    net = build_net(model.pop("net"), input_shape, num_classes if task == "multiclass" else 1)
    scheduler = instantiate(settings["scheduler"]) if settings.get("scheduler") else None
    optimizer = instantiate(settings["optimizer"])
    built = instantiate(model, net=net, optimizer=optimizer, scheduler=scheduler, task=task, num_classes=num_classes)
    scale = record.get("preprocessing", {}).get("target_mean")
    if scale is not None:
        built.task.mean, built.task.std = scale, record["preprocessing"]["target_std"]
    return built


def scale_inputs(x: torch.Tensor, preprocessing: dict[str, Any]) -> torch.Tensor:
    """Raw input rows scaled as the training rows were (no-op without stored statistics)."""
    if "mean" not in preprocessing:
        return x.float()
    mean, std = torch.tensor(preprocessing["mean"]), torch.tensor(preprocessing["std"])
    return (x.float() - mean) / std
