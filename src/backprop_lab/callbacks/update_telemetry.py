"""Per-parameter gradient, parameter and update norms: how each backward pass turns into an optimizer step.

Scalars, every `every_n_steps` optimizer steps (less often on a long run: at
most `max_points` times a run, see `cadence.py`), for each parameter of the
watched module (`net` by default, so names read `hidden1.weight`; a module
without `net` is watched whole, see `watch.py`), whatever layer holds it
(linear, conv, norm, a forker's own):

    updates/<param>/grad_norm            ||g||, the raw gradient, before gradient clipping
    updates/<param>/param_norm           ||theta|| before the step (where the gradient was taken)
    updates/<param>/update_norm          ||theta_after - theta_before||, what the optimizer really moved
    updates/<param>/update_ratio_log10   log10(update_norm / param_norm): -3 is the rule of thumb's 1e-3
    updates/total/{grad_norm,update_norm,update_ratio_log10}   the same over all watched parameters at once
    updates/reference/update_ratio_log10 the constant -3, drawn as the reference line on the ratio's chart
    updates/lr/group<i>                  the learning rate each param group stepped with

The ratio is logged as its log10 because it spans decades across layers and
optimizers; a linear chart shows only the largest. A ratio that is not
finite (a parameter of all zeros, a step of exactly zero) is not logged.
All of it comes from tensors the training step already has: the gradient
left by `backward()` and a copy of the parameters taken just before
`optimizer.step()` on logging steps only. No extra forward or backward pass;
a non-logging step costs one modulo. Values go to every logger through its
public `log_metrics` (`tensorboard_base.log_scalars`) rather than through
`self.log`: they belong to one optimizer step, and Lightning's per-call
bookkeeping for dozens of values would cost more than a small step.
"""

import logging
import math

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import Tensor, nn

from backprop_lab.callbacks.cadence import steps_between
from backprop_lab.callbacks.tensorboard_base import log_scalars
from backprop_lab.callbacks.watch import watched_parameters

log = logging.getLogger(__name__)

REFERENCE_RATIO_LOG10 = -3.0  # update/param of 1e-3: a steady pace by the usual rule of thumb
TOTAL = "total"


def log10_ratio(update: float, param: float) -> float | None:
    """log10(update / param), or None where it is not a finite number."""
    if update > 0 and param > 0 and math.isfinite(update) and math.isfinite(param):
        return math.log10(update / param)
    return None


class UpdateTelemetry(Callback):
    """Logs gradient, parameter and update norms per parameter every `every_n_steps` optimizer steps.

    `max_points` bounds how many times a run logs them: a run of S steps logs
    every max(every_n_steps, ceil(S / max_points)) steps, so XOR's 200 steps
    keep every 5th and a long run on real data pays for `max_points` only.
    """

    def __init__(self, every_n_steps: int, max_points: int | None = None, root: str = "net") -> None:
        # No default interval: configs/callbacks/update_telemetry.yaml holds it, `config/checks.py` checks it.
        self.every_n_steps, self.max_points = every_n_steps, max_points
        self.interval = every_n_steps
        self.root = root
        self._params: list[tuple[str, nn.Parameter]] = []
        self._before: list[Tensor] | None = None
        self._pending: dict[str, float] = {}
        self._step = 0

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._params = watched_parameters(pl_module, self.root)
        if stage == "fit" and not trainer.loggers:
            log.warning("UpdateTelemetry: the run has no logger, so no update telemetry is logged.")

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.interval = steps_between(trainer, self.every_n_steps, self.max_points)

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        # Checked before no_grad: most steps log nothing, and entering it costs 30 times the check (3 us).
        if trainer.global_step % self.interval or not trainer.loggers:
            return
        with torch.no_grad():
            self._norms_before_step(trainer, optimizer)

    def _norms_before_step(self, trainer: L.Trainer, optimizer: torch.optim.Optimizer) -> None:
        grads = {name: torch.linalg.vector_norm(p.grad) for name, p in self._params if p.grad is not None}
        norms = {f"updates/{name}/grad_norm": value for name, value in grads.items()}
        if grads:
            norms[f"updates/{TOTAL}/grad_norm"] = torch.linalg.vector_norm(torch.stack(list(grads.values())))
        for name, p in self._params:
            norms[f"updates/{name}/param_norm"] = torch.linalg.vector_norm(p)
        self._pending = {f"updates/lr/group{i}": float(group["lr"]) for i, group in enumerate(optimizer.param_groups)}
        self._pending.update(zip(norms, torch.stack(list(norms.values())).tolist(), strict=True))
        self._before = [p.detach().clone() for _, p in self._params]
        self._step = trainer.global_step

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if self._before is None:
            return
        with torch.no_grad():
            moved = torch.stack(
                [torch.linalg.vector_norm(p - b) for (_, p), b in zip(self._params, self._before, strict=True)]
            )
        metrics = self._pending
        params = [metrics.pop(f"updates/{name}/param_norm") for name, _ in self._params]
        updates = moved.tolist()
        for (name, _), update, param in zip(self._params, updates, params, strict=True):
            metrics[f"updates/{name}/param_norm"] = param
            metrics[f"updates/{name}/update_norm"] = update
            self._ratio(metrics, name, update, param)
        total_update, total_param = math.hypot(*updates), math.hypot(*params)
        metrics[f"updates/{TOTAL}/update_norm"] = total_update
        self._ratio(metrics, TOTAL, total_update, total_param)
        metrics["updates/reference/update_ratio_log10"] = REFERENCE_RATIO_LOG10
        log_scalars(trainer, metrics, self._step)
        self._before, self._pending = None, {}

    @staticmethod
    def _ratio(metrics: dict[str, float], name: str, update: float, param: float) -> None:
        ratio = log10_ratio(update, param)
        if ratio is not None:
            metrics[f"updates/{name}/update_ratio_log10"] = ratio
