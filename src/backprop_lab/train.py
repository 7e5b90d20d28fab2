"""The train task: config -> instantiated objects -> fit -> test -> run folder.

`scripts/train.py` is the Hydra entry point; it imports this module only
once Hydra has composed the config, so `--help` and `--cfg job` never pay
for importing torch and Lightning.
"""

import contextlib
import logging
import os
import shlex
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities.warnings import PossibleUserWarning
from omegaconf import DictConfig, OmegaConf

from backprop_lab.config.builders import (
    build_part,
    build_trainer,
    check_optimizer_and_scheduler,
    optimizer_factory,
    scheduler_factory,
)
from backprop_lab.config.checks import check_config, run_tags
from backprop_lab.config.model import build_task_model
from backprop_lab.config.monitors import check_monitors
from backprop_lab.config.task_choice import chosen_task
from backprop_lab.config.tree import flat_params, print_config_tree
from backprop_lab.data.checks import CheckFirstBatches, input_shape_of
from backprop_lab.data.tensors import TensorDataModule
from backprop_lab.errors import RunInterrupted, ignore_sigterm, stop_if_interrupted_at_start
from backprop_lab.loggers import finish_wandb_run
from backprop_lab.runs.atomic import as_write_failure, write_failures_in_threads_logged
from backprop_lab.runs.checkpoints import LAST_NAME
from backprop_lab.runs.distributed import check_sweep_launch, is_rank_zero
from backprop_lab.runs.interrupts import describe, interruption_exit_code, stop_if_terminated
from backprop_lab.runs.record_writer import RecordInCheckpoint
from backprop_lab.runs.resume import checkpoint_to_resume, checkpoint_to_test, resume_command
from backprop_lab.runs.stored_paths import StoredPathsStayInRun
from backprop_lab.runs.summary import FAILED, INTERRUPTED, RUNNING, SUCCESS, RunSummary, reserve_space
from backprop_lab.tuning.lr_finder import tune_learning_rate

log = logging.getLogger(__name__)


@contextlib.contextmanager
def lightning_logs_through_root() -> Iterator[None]:
    """While a task runs, Lightning's messages go through the root logger's handlers only; restored afterwards.

    `import lightning` gives its logger a console handler of its own; under
    Hydra, whose root handlers already print to the console and to the run's
    train.log, every Lightning message would show twice.
    """
    lightning_log = logging.getLogger("lightning")
    own = list(lightning_log.handlers)
    if logging.getLogger().handlers:
        lightning_log.handlers.clear()
    try:
        yield
    finally:
        lightning_log.handlers[:] = own


@contextlib.contextmanager
def lightning_on_newer_torch() -> Iterator[None]:
    """Silence the deprecation Lightning 2.6 triggers on every run with torch 2.13 (`_pytree`'s `LeafSpec` check).

    It names Lightning's own code, no user can act on it, and it lands in
    the middle of the progress bar. Scoped to the task, like the others.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`isinstance\(treespec, LeafSpec\)` is deprecated", FutureWarning)
        yield


@contextlib.contextmanager
def task_scope() -> Iterator[None]:
    """What a task (train, eval) sets up for its run only: single log lines, known-wrong or foreign warnings off.

    First, now that torch and Lightning are imported, a Ctrl-C or SIGTERM that came during their imports stops the
    task.
    """
    stop_if_interrupted_at_start()
    with lightning_logs_through_root(), lightning_on_newer_torch():
        yield


def instantiate_each(group: DictConfig | None, name: str = "callbacks") -> list[Any]:
    """Instantiate every entry of a group such as `callbacks` or `logger`.

    Entries are named (`callbacks.model_checkpoint`, ...) so one can be
    removed from the command line (`~callbacks.lr_monitor`) or set to null;
    an entry whose class refuses its arguments is named in the error. An
    entry may build to None (an optional logger whose package is missing).
    """
    if not group:
        return []
    entries = [(key, node) for key, node in group.items() if isinstance(node, DictConfig) and "_target_" in node]
    built = [build_part(f"{name}.{key}", node) for key, node in entries]
    return [thing for thing in built if thing is not None]


def build_model(cfg: DictConfig, datamodule: L.LightningDataModule) -> L.LightningModule:
    """The LightningModule the config describes; the input shape and the task (see task_choice) come from the data."""
    task, num_classes, _ = chosen_task(cfg.model.get("task"), datamodule, cfg.model.get("loss", "mse"))
    optimizer, scheduler = optimizer_factory(cfg.optimizer), scheduler_factory(cfg.get("scheduler"))
    model = build_task_model(cfg.model, task, num_classes, input_shape_of(datamodule), optimizer, scheduler)
    check_optimizer_and_scheduler(cfg, optimizer, scheduler, model.parameters())
    return model


def build(cfg: DictConfig) -> tuple[L.LightningDataModule, L.LightningModule, L.Trainer]:
    """Instantiate data, model, callbacks, loggers and trainer from the config.

    The network's input width comes from the data, so a new data set needs no
    change to the model config.
    """
    if cfg.get("torch_threads"):
        torch.set_num_threads(cfg.torch_threads)
    L.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    if isinstance(datamodule, TensorDataModule) and not cfg.data.get("num_workers"):
        # Rows in memory: a batch is one indexing in the main process, and workers would only add copies. Lightning
        # advises workers on machines of many cores all the same; the filter lasts as long as the task's scope.
        warnings.filterwarnings("ignore", r"The '\w+' does not have many workers", PossibleUserWarning)
    model = build_model(cfg, datamodule)
    check_monitors(cfg.get("callbacks"), model)  # val/acc on a regression: refused before training

    loggers: list[Logger] = instantiate_each(cfg.get("logger"), "logger")
    callbacks: list[Callback] = instantiate_each(cfg.get("callbacks"))
    callbacks.append(RecordInCheckpoint(cfg))  # what eval/predict rebuild from (runs/record.py)
    callbacks.append(StoredPathsStayInRun())  # a resumed checkpoint's file paths are not followed
    # The data's faults are named as such before the first step, not later as a divergence (data/checks.py).
    task, num_classes, _ = chosen_task(cfg.model.get("task"), datamodule, cfg.model.get("loss", "mse"))
    callbacks.append(CheckFirstBatches(task, num_classes))
    if not loggers:
        # LearningRateMonitor refuses to run without a logger; with `logger=none` there is nothing to monitor into.
        callbacks = [c for c in callbacks if not isinstance(c, LearningRateMonitor)]
    trainer = build_trainer(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    return datamodule, model, trainer


def _scalars(metrics: dict[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in metrics.items()}


def _on_disk(path: str, checkpoint: ModelCheckpoint, last: bool) -> str | None:
    """`path` if it exists; else (its save failed) the newest whole checkpoint of the same kind in its folder."""
    if not path or Path(path).is_file():
        return path or None
    folder = Path(checkpoint.dirpath or Path(path).parent)
    kind = [p for p in folder.glob("*.ckpt") if bool(LAST_NAME.match(p.name)) == last] if folder.is_dir() else []
    return str(max(kind, key=lambda p: p.stat().st_mtime_ns)) if kind else None


def _record_checkpoints(trainer: L.Trainer, summary: RunSummary) -> None:
    for checkpoint in trainer.checkpoint_callbacks:
        if not isinstance(checkpoint, ModelCheckpoint):
            continue
        if checkpoint.monitor is None:  # configs/callbacks/last_checkpoint.yaml: the newest epoch
            summary.last_checkpoint = _on_disk(checkpoint.best_model_path, checkpoint, True) or summary.last_checkpoint
        else:
            summary.best_checkpoint = _on_disk(checkpoint.best_model_path, checkpoint, False)
            last = _on_disk(checkpoint.last_model_path, checkpoint, True)
            summary.last_checkpoint = summary.last_checkpoint or last


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
    if not cfg.get("train", True) and cfg.get("test", True):
        summary.loaded_checkpoint = checkpoint_to_test(cfg, model)
    if cfg.get("train", True):
        summary.loaded_checkpoint = checkpoint_to_resume(cfg, model)
        try:
            trainer.fit(model, datamodule=datamodule, ckpt_path=summary.loaded_checkpoint, weights_only=True)
        finally:  # an interrupted or diverged run records how far it got, too
            summary.metrics.update(_scalars(trainer.callback_metrics))
            summary.epochs, summary.global_step = trainer.current_epoch, trainer.global_step
            _record_checkpoints(trainer, summary)
            _record_early_stop(trainer, summary)
        stop_if_terminated(trainer)  # a SIGTERM during fit's end (the final landscape's last chunk): no test
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
        stop_if_terminated(trainer)  # during the last test batch: the run did not end as asked
    summary.finish(SUCCESS)


def tensorboard_command(events_dir: Path) -> str:
    """The command that opens TensorBoard on this run, with a path that works from the current directory."""
    events_dir, cwd = events_dir.resolve(), Path.cwd().resolve()
    path = events_dir.relative_to(cwd) if events_dir.is_relative_to(cwd) else events_dir
    return f"tensorboard --logdir {shlex.quote(os.fspath(path))}"


def train(cfg: DictConfig) -> float | None:
    """Run the train task; return the metric named by `optimized_metric` (for sweeps), if any."""
    with task_scope(), write_failures_in_threads_logged(Path(cfg.paths.output_dir)):
        return _train(cfg)


def _train(cfg: DictConfig) -> float | None:
    output_dir = Path(cfg.paths.output_dir)
    summary = RunSummary(status=RUNNING)
    try:
        if OmegaConf.select(cfg, "extras.print_config", default=False) and is_rank_zero():
            print_config_tree(cfg, output_dir)
        if is_rank_zero():  # a run killed with kill -9 keeps this record: status running, its pid and host
            summary.save(output_dir)
            reserve_space(output_dir)
        check_config(cfg)
        summary.tags = run_tags(cfg)
        fit_and_test(cfg, summary)
    except BaseException as err:
        exit_code = interruption_exit_code(err)
        if exit_code is None:
            failure = as_write_failure(err, output_dir)  # disk full, read-only: one paragraph, not three tracebacks
            if failure is not None:
                logging.raiseExceptions = False  # nor one per line train.log can no longer take
            summary.finish(FAILED, failure or err)
            if failure is None or failure is err:
                raise
            raise failure from err
        message = describe(exit_code, resume_command(output_dir))
        summary.finish(INTERRUPTED, RunInterrupted(message))
        log.warning(message)
        raise SystemExit(exit_code) from err
    finally:
        with ignore_sigterm():  # the run's end is settled: its record is written whole
            finish_wandb_run(failed=summary.status != SUCCESS)
            if is_rank_zero():  # under DDP every process runs this task; one keeps the record
                summary.save_or_report(output_dir)
                log.info(
                    "Run %s after %.1f s; final metrics:\n%s", summary.status, summary.wall_time_s, summary.table()
                )
                log.info("Run folder: %s (metrics in metrics.json)", output_dir)
                if (output_dir / "tensorboard").is_dir():
                    log.info("View it in TensorBoard: %s", tensorboard_command(output_dir / "tensorboard"))
    name = cfg.get("optimized_metric")
    return summary.metrics.get(name) if name else None
