"""The HParams dashboard: each run's hyperparameters next to its final metrics.

At the end of the test the callback writes the three summaries TensorBoard's
HParams plugin reads: the experiment (which columns exist), the session start
(this run's values) and the session end. The metric columns are ordinary
scalar tags (`test/acc`, `val/loss`, ...): the plugin shows each one's last
value in the run. `val/epochs_to_solve` is added here: the number of training
epochs after which `val/acc` first reached 1.0, written only if it did.

Why not `TensorBoardLogger.log_hyperparams(params, metrics)`: it declares only
the columns of the run that writes it, and the plugin builds its table from
the first such declaration it finds, so in a sweep over SGD and Adam either
the momentum or the betas column would vanish. Every run here declares the
same columns (`HPARAMS` plus `extra`); a run leaves the ones it lacks empty.
TensorBoard ticks only five columns for display; `optimizer`, `lr` and the
columns of the config keys the run's overrides set (`chosen`, e.g. `seed`
for `-m seed=0,1,2`; for `-m optimizer=...` also momentum and the betas,
which vary with the optimizer) are marked so that they come first. In a
sweep each row is named by `trial` (`runs/name.py: trial_name`): the sweep's
folder, the zero-padded job number and what the job varies, so the rows
keep the sweep's order and the name reads whole.
The values are read from the live objects (the optimizer's `defaults`, the
network's layers), so they are what the run used, not what a config meant.
"""

from typing import Any

import lightning as L
from omegaconf import ListConfig
from torch import nn

from backprop_lab.callbacks.hparams_protos import (
    NUMBER,
    STRING,
    data_type,
    experiment_summary,
    session_end_summary,
    session_start_summary,
)
from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback, add_summary
from backprop_lab.callbacks.watch import watched_module

# The columns every run declares, whatever its optimizer, model or data.
HPARAMS: dict[str, int] = {
    "optimizer": STRING,
    "lr": NUMBER,
    "momentum": NUMBER,
    "beta1": NUMBER,
    "beta2": NUMBER,
    "weight_decay": NUMBER,
    "scheduler": STRING,
    "sizes": STRING,
    "activation": STRING,
    "data": STRING,
    "task": STRING,
    "max_epochs": NUMBER,
}
EPOCHS_TO_SOLVE = "val/epochs_to_solve"
# Always shown first in the HParams tab; then the columns the run's overrides chose (`chosen`).
ALWAYS_SHOWN = ("optimizer", "lr")
# Config keys whose last part is not a column's name: the columns they decide.
KEY_COLUMNS = {"hidden": ("sizes",), "net": ("sizes", "activation"), "model": ("sizes", "activation"),
               "betas": ("beta1", "beta2"),
               # choosing the optimizer decides which of momentum and the betas a run has: they vary with it
               "optimizer": ("optimizer", "momentum", "beta1", "beta2")}  # fmt: skip


def shown_columns(chosen: list[str], columns: list[str]) -> frozenset[str]:
    """`optimizer`, `lr` and the columns that the chosen config keys (e.g. `optimizer.lr`, `seed`) decide."""
    shown = set(ALWAYS_SHOWN)
    for key in chosen:
        last = str(key).rsplit(".", 1)[-1]
        shown.update(KEY_COLUMNS.get(last, (last,)))
    return frozenset(shown & set(columns))


def optimizer_hparams(optimizer: Any) -> dict[str, Any]:
    """Name, lr, momentum, betas and weight decay as the optimizer was built (its `defaults`)."""
    defaults = optimizer.defaults
    values: dict[str, Any] = {"optimizer": type(optimizer).__name__, "lr": float(defaults["lr"])}
    for key in ("momentum", "weight_decay"):
        if key in defaults:
            values[key] = float(defaults[key])
    if "betas" in defaults:
        values["beta1"], values["beta2"] = (float(b) for b in defaults["betas"])
    return values


def network_hparams(net: nn.Module) -> dict[str, str]:
    """Layer widths of its Linear layers (`2-8-1`; empty without any) and the names of its other leaf layers."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    sizes = [linears[0].in_features, *(m.out_features for m in linears)] if linears else []
    leaves = [m for m in net.modules() if next(m.children(), None) is None and not isinstance(m, nn.Linear)]
    return {
        "sizes": "-".join(str(s) for s in sizes),
        "activation": ",".join(dict.fromkeys(type(m).__name__ for m in leaves)) or "none",
    }


def _plain(value: Any) -> bool | int | float | str | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, ListConfig)):
        return ",".join(str(item) for item in value)
    return str(value)


class HParamsSummary(TensorBoardCallback):
    """Writes the run's hyperparameters and the names of its final metrics for the HParams tab."""

    what = "HParams summary"

    def __init__(
        self,
        metrics: list[str] | tuple[str, ...],
        solved_metric: str,
        solved_value: float,
        extra: dict[str, Any] | None = None,
        root: str = "net",
        chosen: str | list[str] | tuple[str, ...] = (),
        trial: str = "",
    ) -> None:
        # No defaults for the choices: configs/callbacks/hparams.yaml holds them.
        super().__init__()
        # A comma-separated string from `${chosen_keys:}`, or a list of config keys.
        self.chosen = [key for key in chosen.split(",") if key] if isinstance(chosen, str) else [str(k) for k in chosen]
        self.metrics = list(metrics)
        self.trial = trial  # the row's name in a sweep (`${trial_name:}`); empty: the run's folder
        # Plain values only: a list from the config (an OmegaConf ListConfig, e.g. `tags`) is shown as its
        # items joined by commas, which the HParams tab's regex filter matches (`baseline` finds `baseline,xor`).
        self.extra = {name: _plain(value) for name, value in (extra or {}).items()}
        self.root = root
        self.solved_metric = solved_metric
        self.solved_value = solved_value
        self.epochs_to_solve: int | None = None
        self._values: dict[str, Any] = {}

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Read while fitting: the optimizer and schedulers belong to the fit, not to the test that follows.
        self._values = self.hparams(trainer, pl_module)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.epochs_to_solve is not None:
            return
        value = trainer.callback_metrics.get(self.solved_metric)
        if value is not None and float(value) >= self.solved_value:
            self.epochs_to_solve = trainer.current_epoch + 1

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = self.writer(trainer) if trainer.is_global_zero else None  # one row per run, not per process
        if writer is None:
            return
        if self.epochs_to_solve is not None:
            writer.add_scalar(EPOCHS_TO_SOLVE, self.epochs_to_solve, trainer.global_step)
        values = self._values or self.hparams(trainer, pl_module)
        columns = {**HPARAMS, **{name: data_type(value) for name, value in self.extra.items()}}
        shown = shown_columns(self.chosen, list(columns))
        experiment = experiment_summary(columns, self.metrics, shown)
        summaries = (experiment, session_start_summary(values, self.trial), session_end_summary())
        for summary in summaries:
            add_summary(writer, summary, trainer.global_step)
        writer.flush()

    def hparams(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        """This run's values: optimizer, scheduler, network, data, max_epochs and the configured extras."""
        values: dict[str, Any] = {}
        if trainer.optimizers:
            values.update(optimizer_hparams(trainer.optimizers[0]))
        schedulers = [type(config.scheduler).__name__ for config in trainer.lr_scheduler_configs]
        values["scheduler"] = ",".join(schedulers) or "none"
        values.update(network_hparams(watched_module(pl_module, self.root)))
        values["data"] = type(trainer.datamodule).__name__ if trainer.datamodule is not None else "none"
        values["task"] = getattr(getattr(pl_module, "task", None), "name", "binary")
        values["max_epochs"] = trainer.max_epochs
        values.update({name: value for name, value in self.extra.items() if value is not None})
        return values

    def state_dict(self) -> dict[str, Any]:
        return {"epochs_to_solve": self.epochs_to_solve}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.epochs_to_solve = state_dict.get("epochs_to_solve")
