"""The eval task: test a checkpoint on the test split of the data it was trained with.

The model and data are rebuilt from the checkpoint's own record (see
`backprop_lab.runs.rebuild`): plain data, checked, applied to the project's
own config options; the training run's folder is not read. The loggers are
this task's own (`configs/eval.yaml`), never the record's. The results go to
this task's own run folder (`logs/eval/runs/<timestamp>/`), so evaluating
never writes into the training run.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from omegaconf import DictConfig

from backprop_lab.config.builders import build_trainer
from backprop_lab.errors import ConfigError, RunInterrupted, ignore_sigterm
from backprop_lab.runs.checkpoints import check_fits, load_checkpoint
from backprop_lab.runs.interrupts import interruption_exit_code, signal_name, stop_if_terminated
from backprop_lab.runs.rebuild import build_data, check_classes, read_record, rebuild_model
from backprop_lab.runs.summary import FAILED, INTERRUPTED, SUCCESS, RunSummary
from backprop_lab.train import instantiate_each, task_scope

log = logging.getLogger(__name__)


def _require(ckpt_path: Any) -> None:
    if not ckpt_path:
        raise ConfigError(
            "ckpt_path is not set: pass a checkpoint, e.g. ckpt_path=logs/train/runs/<timestamp>/"
            "checkpoints/last.ckpt (the best one is best-epochNNNN.ckpt in the same folder)."
        )


def restore_model(ckpt_path: Any) -> tuple[L.LightningModule, L.LightningDataModule, dict[str, Any]]:
    """Rebuild the trained model and its data module, with the checkpoint's weights loaded safely."""
    _require(ckpt_path)
    checkpoint = load_checkpoint(ckpt_path)
    record = read_record(checkpoint, ckpt_path)
    datamodule = build_data(record, ckpt_path)
    check_classes(record, datamodule, ckpt_path)
    model = rebuild_model(record, ckpt_path)
    check_fits(model, checkpoint, ckpt_path)
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), datamodule, checkpoint


def restore_for_predict(ckpt_path: Any) -> tuple[L.LightningModule, tuple[int, ...], dict[str, Any], list[str]]:
    """The trained model, its input rows' shape, preprocessing and class names: from the checkpoint alone."""
    _require(ckpt_path)
    checkpoint = load_checkpoint(ckpt_path)
    record = read_record(checkpoint, ckpt_path)
    model = rebuild_model(record, ckpt_path)
    check_fits(model, checkpoint, ckpt_path)
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), tuple(record.input_shape), record.preprocessing, record.class_names or ["0", "1"]


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """Test `cfg.ckpt_path`; write `metrics.json` into this task's run folder; return the test metrics."""
    with task_scope():
        return _evaluate(cfg)


def _evaluate(cfg: DictConfig) -> dict[str, float]:
    output_dir = Path(cfg.paths.output_dir)
    summary = RunSummary(loaded_checkpoint=str(cfg.get("ckpt_path")))
    try:
        model, datamodule, checkpoint = restore_model(cfg.get("ckpt_path"))
        summary.epochs, summary.global_step = checkpoint.get("epoch", 0), checkpoint.get("global_step", 0)
        loggers = instantiate_each(cfg.get("logger"), "logger")
        trainer = build_trainer(cfg.trainer, logger=loggers or False, callbacks=[])
        for result in trainer.test(model, datamodule=datamodule, verbose=False):
            summary.metrics.update({name: float(value) for name, value in result.items()})
        stop_if_terminated(trainer)
        summary.finish(SUCCESS)
    except BaseException as err:
        exit_code = interruption_exit_code(err)
        if exit_code is None:
            summary.finish(FAILED, err)
            raise
        message = f"Interrupted by {signal_name(exit_code)} while evaluating {cfg.get('ckpt_path')}."
        summary.finish(INTERRUPTED, RunInterrupted(message))
        log.warning(message)
        raise SystemExit(exit_code) from err
    finally:
        with ignore_sigterm():  # the evaluation's end is settled: its record is written whole
            summary.save(output_dir)
            log.info("Eval %s; test metrics:\n%s", summary.status, summary.table())
            log.info("Run folder: %s (metrics in metrics.json)", output_dir)
    return summary.metrics
