"""What eval and predict need to rebuild a trained model, stored in its checkpoint as plain data.

Every checkpoint of a training run carries, under `backprop_lab`, the run's
training settings (data, model, optimizer, scheduler, seed; resolved, plain
dicts), the network's input width and the data's fitted preprocessing
(feature means and scales, column names, a fingerprint of the data file).
It loads with `torch.load(weights_only=True)` like the weights, so a
checkpoint copied out of its run folder still predicts, with the scaling it
was trained with rather than one recomputed from today's data file.

A checkpoint written before this record existed falls back to its run
folder's `.hydra/config.yaml`. Either way every `_target_` passes
`backprop_lab.allowlist` before anything is instantiated.
"""

from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from backprop_lab.allowlist import check_targets
from backprop_lab.checkpoints import run_dir_of
from backprop_lab.errors import CheckpointError

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
        checkpoint[RECORD_KEY] = {
            "settings": self.settings,
            "in_features": getattr(datamodule, "num_features", None),
            "preprocessing": fitted() if callable(fitted) else {},
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
            record = {"settings": training_settings(OmegaConf.load(path)), "in_features": None, "preprocessing": {}}
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
    return record


def build_data(record: dict[str, Any]) -> L.LightningDataModule:
    """The data module of the training run, set to scale with the training run's own statistics."""
    datamodule = instantiate(record["settings"]["data"])
    use = getattr(datamodule, "use_preprocessing", None)
    if record.get("preprocessing") and callable(use):
        use(record["preprocessing"])
    return datamodule


def build_model(record: dict[str, Any], in_features: int) -> L.LightningModule:
    """The LightningModule of the training run, from the record's (checked) settings."""
    settings = record["settings"]
    model = dict(settings["model"])
    net = instantiate(model.pop("net"), in_features=in_features)
    scheduler = instantiate(settings["scheduler"]) if settings.get("scheduler") else None
    return instantiate(model, net=net, optimizer=instantiate(settings["optimizer"]), scheduler=scheduler)


def scale_inputs(x: torch.Tensor, preprocessing: dict[str, Any]) -> torch.Tensor:
    """Raw input rows scaled as the training rows were (no-op without stored statistics)."""
    if "mean" not in preprocessing:
        return x.float()
    mean, std = torch.tensor(preprocessing["mean"]), torch.tensor(preprocessing["std"])
    return (x.float() - mean) / std
