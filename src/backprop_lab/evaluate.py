"""The eval task: test a checkpoint on the test split of the data it was trained with.

The checkpoint holds weights and counters, not the settings that built the
model and the data; those come from the training run's folder
(`<run folder>/.hydra/config.yaml`, next to `<run folder>/checkpoints/`).
The results go to this task's own run folder (`logs/eval/runs/<timestamp>/`),
so evaluating never writes into the training run. (Importing `train` also
keeps Lightning's log lines single: see the top of train.py.)
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from backprop_lab.builders import build_trainer
from backprop_lab.checkpoints import check_fits, load_checkpoint, run_dir_of
from backprop_lab.checks import ConfigError
from backprop_lab.errors import CheckpointError
from backprop_lab.runs import FAILED, SUCCESS, RunSummary
from backprop_lab.train import build_model, instantiate_each

log = logging.getLogger(__name__)


def training_config(ckpt_path: str | Path) -> DictConfig:
    """The composed config of the run that wrote this checkpoint."""
    path = run_dir_of(ckpt_path) / ".hydra" / "config.yaml"
    if not path.is_file():
        raise CheckpointError(
            f"{ckpt_path} is not inside a training run folder: there is no {path} to read the model and data "
            "settings from. Use a checkpoint where training left it, <run folder>/checkpoints/*.ckpt, "
            "or copy the whole run folder."
        )
    return OmegaConf.load(path)


def restore_model(ckpt_path: Any) -> tuple[L.LightningModule, L.LightningDataModule, dict[str, Any]]:
    """Rebuild the trained model and its data module, with the checkpoint's weights loaded safely."""
    if not ckpt_path:
        raise ConfigError(
            "ckpt_path is not set: pass a checkpoint, e.g. ckpt_path=logs/train/runs/<timestamp>/"
            "checkpoints/last.ckpt (the best one is best-epochNNNN.ckpt in the same folder)."
        )
    checkpoint = load_checkpoint(ckpt_path)
    cfg = training_config(ckpt_path)
    datamodule = instantiate(cfg.data)
    model = build_model(cfg, datamodule)
    check_fits(model, checkpoint, ckpt_path)
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), datamodule, checkpoint


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test `cfg.ckpt_path`; write `metrics.json` into this task's run folder; return the test metrics."""
    output_dir = Path(cfg.paths.output_dir)
    summary = RunSummary(loaded_checkpoint=str(cfg.get("ckpt_path")))
    try:
        model, datamodule, checkpoint = restore_model(cfg.get("ckpt_path"))
        summary.epochs, summary.global_step = checkpoint.get("epoch", 0), checkpoint.get("global_step", 0)
        loggers = instantiate_each(cfg.get("logger"), "logger")
        trainer = build_trainer(cfg.trainer, logger=loggers or False, callbacks=[])
        for result in trainer.test(model, datamodule=datamodule, verbose=False):
            summary.metrics.update({name: float(value) for name, value in result.items()})
        summary.finish(SUCCESS)
    except BaseException as err:
        summary.finish(FAILED, err)
        raise
    finally:
        summary.save(output_dir)
        log.info("Eval %s; test metrics:\n%s", summary.status, summary.table())
        log.info("Run folder: %s (metrics in metrics.json)", output_dir)
    return summary.metrics
