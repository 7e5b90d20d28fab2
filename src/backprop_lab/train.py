"""The train task: config -> instantiated objects -> fit -> test -> run folder.

`scripts/train.py` is the Hydra entry point; it imports this module only
once Hydra has composed the config, so `--help` and `--cfg job` never pay
for importing torch and Lightning.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig, OmegaConf

from backprop_lab.checks import check_config, run_tags
from backprop_lab.config_tree import flat_params, print_config_tree
from backprop_lab.distributed import check_sweep_launch, is_rank_zero
from backprop_lab.errors import MissingPackage
from backprop_lab.interrupts import RunInterrupted, describe, interruption_exit_code
from backprop_lab.loggers import finish_wandb_run
from backprop_lab.resume import checkpoint_to_resume, resume_command
from backprop_lab.runs import FAILED, INTERRUPTED, SUCCESS, RunSummary
from backprop_lab.tuning import tune_learning_rate

log = logging.getLogger(__name__)

# `import lightning` gives its logger a console handler of its own; under
# Hydra, whose root handlers already print to the console and to the run's
# train.log, every Lightning message would show twice. Let the root handle it.
if logging.getLogger().handlers:
    logging.getLogger("lightning").handlers.clear()


def instantiate_each(group: DictConfig | None, name: str = "") -> list[Any]:
    """Instantiate every entry of a group such as `callbacks` or `logger`.

    Entries are named (`callbacks.model_checkpoint`, ...) so one can be
    removed from the command line (`~callbacks.lr_monitor`) or set to null.
    An entry may build to None (an optional logger whose package is missing).
    """
    if not group:
        return []
    built = [
        _instantiate(node, f"{name}.{key}" if name else str(key))
        for key, node in group.items()
        if isinstance(node, DictConfig) and "_target_" in node
    ]
    return [thing for thing in built if thing is not None]


def _instantiate(node: DictConfig, where: str) -> Any:
    """`instantiate`, with a missing optional package (mlflow, wandb, rich) said as the fix rather than a traceback."""
    try:
        return instantiate(node)
    except InstantiationException as err:
        if not isinstance(err.__cause__, ModuleNotFoundError):  # what Lightning raises for a missing extra
            raise
        raise MissingPackage(
            f"{where} ({node._target_}) needs a package that is not installed: {err.__cause__}. Install the "
            "project's extra for it: pip install -e '.[mlflow]' (logger=mlflow), '.[wandb]' (logger=wandb) or "
            "'.[rich]' (callbacks/progress_bar=rich); or choose another one, e.g. logger=tensorboard."
        ) from err


def build_model(cfg: DictConfig, datamodule: L.LightningDataModule) -> L.LightningModule:
    """The LightningModule the config describes; the network's input width comes from the data."""
    net = instantiate(cfg.model.net, in_features=datamodule.num_features)
    scheduler = instantiate(cfg.scheduler) if cfg.get("scheduler") else None
    return instantiate(cfg.model, net=net, optimizer=instantiate(cfg.optimizer), scheduler=scheduler)


def build(cfg: DictConfig) -> tuple[L.LightningDataModule, L.LightningModule, L.Trainer]:
    """Instantiate data, model, callbacks, loggers and trainer from the config.

    The network's input width comes from the data, so a new data set needs no
    change to the model config.
    """
    if cfg.get("torch_threads"):
        torch.set_num_threads(cfg.torch_threads)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    model = build_model(cfg, datamodule)

    loggers: list[Logger] = instantiate_each(cfg.get("logger"), "logger")
    callbacks: list[Callback] = instantiate_each(cfg.get("callbacks"), "callbacks")
    if not loggers:
        # LearningRateMonitor refuses to run without a logger; with `logger=none` there is nothing to monitor into.
        callbacks = [c for c in callbacks if not isinstance(c, LearningRateMonitor)]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    return datamodule, model, trainer


def _scalars(metrics: dict[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in metrics.items()}


def _record_checkpoints(trainer: L.Trainer, summary: RunSummary) -> None:
    for checkpoint in trainer.checkpoint_callbacks:
        if not isinstance(checkpoint, ModelCheckpoint):
            continue
        if checkpoint.monitor is None:  # configs/callbacks/last_checkpoint.yaml: the newest epoch
            summary.last_checkpoint = checkpoint.best_model_path or summary.last_checkpoint
        else:
            summary.best_checkpoint = checkpoint.best_model_path or None
            summary.last_checkpoint = summary.last_checkpoint or checkpoint.last_model_path or None


def _record_early_stop(trainer: L.Trainer, summary: RunSummary) -> None:
    for callback in trainer.early_stopping_callbacks:
        if isinstance(callback, EarlyStopping) and callback.stopping_reason_message is not None:
            summary.early_stopping = {
                "stopped_epoch": callback.stopped_epoch,
                "reason": callback.stopping_reason.name.lower(),
                "message": callback.stopping_reason_message,
            }


def fit_and_test(cfg: DictConfig, summary: RunSummary) -> None:
    """Fit (unless `train=false`), then test the best checkpoint (unless `test=false`)."""
    datamodule, model, trainer = build(cfg)
    for logger in trainer.loggers:  # the config's values for MLflow's params, W&B's config, hparams.yaml
        logger.log_hyperparams(flat_params(cfg))
    check_sweep_launch(trainer)
    if cfg.get("train", True) and cfg.get("lr_finder"):
        tune_learning_rate(cfg, trainer, model, datamodule)
    if cfg.get("train", True):
        summary.loaded_checkpoint = checkpoint_to_resume(cfg, model)
        try:
            trainer.fit(model, datamodule=datamodule, ckpt_path=summary.loaded_checkpoint, weights_only=True)
        finally:  # an interrupted or diverged run records how far it got, too
            summary.metrics.update(_scalars(trainer.callback_metrics))
            summary.epochs, summary.global_step = trainer.current_epoch, trainer.global_step
            _record_checkpoints(trainer, summary)
            _record_early_stop(trainer, summary)
    if trainer.interrupted:
        summary.finish(INTERRUPTED)
        return

    if cfg.get("test", True):
        ckpt_path = cfg.get("ckpt_path") if not cfg.get("train", True) else summary.best_checkpoint
        if ckpt_path is None:
            log.warning("No best checkpoint (checkpointing is off): testing the final weights.")
        results = trainer.test(model, datamodule=datamodule, ckpt_path=ckpt_path, verbose=False, weights_only=True)
        for result in results:
            summary.metrics.update(_scalars(result))
    summary.finish(SUCCESS)


def train(cfg: DictConfig) -> float | None:
    """Run the train task; return the metric named by `optimized_metric` (for sweeps), if any."""
    output_dir = Path(cfg.paths.output_dir)
    summary = RunSummary()
    try:
        if OmegaConf.select(cfg, "extras.print_config", default=False) and is_rank_zero():
            print_config_tree(cfg, output_dir)
        check_config(cfg)
        summary.tags = run_tags(cfg)
        fit_and_test(cfg, summary)
    except BaseException as err:
        exit_code = interruption_exit_code(err)
        if exit_code is None:
            summary.finish(FAILED, err)
            raise
        message = describe(exit_code, resume_command(output_dir))
        summary.finish(INTERRUPTED, RunInterrupted(message))
        log.warning(message)
        raise SystemExit(exit_code) from err
    finally:
        finish_wandb_run(failed=summary.status != SUCCESS)
        if is_rank_zero():  # under DDP every process runs this task; one keeps the record
            path = summary.save(output_dir)
            log.info("Run %s after %.1f s; final metrics:\n%s", summary.status, summary.wall_time_s, summary.table())
            log.info("Run folder: %s (metrics in %s)", output_dir, path.name)
    name = cfg.get("optimized_metric")
    return summary.metrics.get(name) if name else None
