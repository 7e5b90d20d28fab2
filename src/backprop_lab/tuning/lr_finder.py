"""The learning-rate finder: Lightning's range test before training, then train with its suggestion.

`Tuner.lr_find` raises the learning rate step by step from `min_lr` to
`max_lr` over `num_training` optimizer steps and records the loss; the
suggestion is the lr where the loss falls fastest. What Lightning leaves to
us: it caps the test at `trainer.max_epochs`, which on a one-batch-per-epoch
data set like XOR means `max_epochs` steps instead of `num_training`; it
needs an `lr` attribute on the model, while ours gets its optimizer as a
Hydra partial; and it keeps its results in memory only.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.tuner import Tuner
from omegaconf import DictConfig

from backprop_lab.config.builders import checked_partial, optimizer_factory
from backprop_lab.models.classifier import TaskModel
from backprop_lab.runs.atomic import save_figure_atomic, write_json_atomic

log = logging.getLogger(__name__)


def run_range_test(
    trainer: L.Trainer,
    model: L.LightningModule,
    datamodule: L.LightningDataModule,
    min_lr: float = 1e-6,
    max_lr: float = 1.0,
    num_training: int = 100,
    mode: str = "exponential",
    early_stop_threshold: float | None = 4.0,
) -> Any:
    """`Tuner.lr_find` for all `num_training` steps however few batches an epoch has; None under fast_dev_run."""
    fit_loop = trainer.fit_loop
    max_epochs = fit_loop.max_epochs
    if max_epochs is not None and max_epochs >= 0:
        # Every epoch has at least one step, so num_training epochs always leave room for num_training steps;
        # the finder itself stops at its own max_steps.
        fit_loop.max_epochs = max(max_epochs, num_training)
    try:
        return Tuner(trainer).lr_find(
            model,
            datamodule=datamodule,
            min_lr=min_lr,
            max_lr=max_lr,
            num_training=num_training,
            mode=mode,
            early_stop_threshold=early_stop_threshold,
            update_attr=False,
        )
    finally:
        fit_loop.max_epochs = max_epochs


def _save_plot(finder: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    fig = finder.plot(suggest=True)
    fig.axes[0].set_title("LR range test (red dot: suggestion)")
    save_figure_atomic(fig, path, dpi=100)
    plt.close(fig)


def tune_learning_rate(
    cfg: DictConfig, trainer: L.Trainer, model: TaskModel, datamodule: L.LightningDataModule
) -> None:
    """Run the range test configured in `cfg.lr_finder`, save it into the run folder, and train with its suggestion.

    Writes `lr_find.json` (suggestion, the lr trained with, every lr/loss pair) and `lr_find.png`, logs the
    suggestion as `lr_find/suggestion`, and rebuilds the optimizer partial with `lr` set to it. Without a
    suggestion (too few finite losses) the configured lr stays.
    """
    output_dir = Path(cfg.paths.output_dir)
    finder = checked_partial("lr_finder", cfg.lr_finder)(trainer, model, datamodule)
    configured_lr = cfg.optimizer.get("lr")
    if finder is None:
        log.warning("LR finder skipped (fast_dev_run): training with the configured lr %s.", configured_lr)
        return
    suggestion = finder.suggestion()
    lr = configured_lr if suggestion is None else float(suggestion)
    write_json_atomic(
        output_dir / "lr_find.json",
        {
            "suggestion": suggestion,
            "configured_lr": configured_lr,
            "trained_with_lr": lr,
            "steps": len(finder.results["lr"]),
            "settings": {k: v for k, v in cfg.lr_finder.items() if not k.startswith("_")},
            "lr": finder.results["lr"],
            "loss": finder.results["loss"],
        },
    )
    _save_plot(finder, output_dir / "lr_find.png")
    if suggestion is None:
        log.warning("LR finder gave no suggestion: training with the configured lr %s.", configured_lr)
        return
    model.optimizer_factory = optimizer_factory(cfg.optimizer, lr=lr)  # the next fit builds its optimizer with it
    for logger in trainer.loggers:
        logger.log_metrics({"lr_find/suggestion": lr}, step=0)
    log.info(
        "LR finder suggests lr=%.4g after %d steps; training with it (configured: %s).",
        lr,
        len(finder.results["lr"]),
        configured_lr,
    )
