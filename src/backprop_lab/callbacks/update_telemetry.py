"""Per-layer gradient, parameter and update norms: how each backward pass turns into an optimizer step.

Scalars, every `every_n_steps` optimizer steps, for each parameter of the
watched module (`net` by default, so names read `hidden1.weight`; a module
without `net` is watched whole, see `watch.py`), whatever layer holds it
(linear, conv, norm, a forker's own):

    updates/<param>/grad_norm     ||g||, the raw gradient, before gradient clipping
    updates/<param>/param_norm    ||theta|| before the step (where the gradient was taken)
    updates/<param>/update_norm   ||theta_after - theta_before||, what the optimizer really moved
    updates/<param>/update_ratio  update_norm / param_norm (inf if the parameter is all zeros)
    updates/grad_norm_total       ||g|| over all watched parameters (what clipping by norm looks at)
    updates/lr/group<i>           the learning rate each param group stepped with

All of it comes from tensors the training step already has: the gradient
left by `backward()` and a copy of the parameters taken just before
`optimizer.step()` on logging steps only. No extra forward or backward pass;
a non-logging step costs one modulo. Values go to every logger through its
public `log_metrics` (`tensorboard_base.log_scalars`) rather than through
`self.log`: they belong to one optimizer step, and Lightning's per-call
bookkeeping for dozens of values would cost more than a small step.
"""

import logging

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import Tensor, nn

from backprop_lab.callbacks.tensorboard_base import log_scalars
from backprop_lab.callbacks.watch import watched_parameters

log = logging.getLogger(__name__)


class UpdateTelemetry(Callback):
    """Logs gradient, parameter and update norms per parameter every `every_n_steps` optimizer steps."""

    def __init__(self, every_n_steps: int, root: str = "net") -> None:
        # No default interval: configs/callbacks/update_telemetry.yaml holds it, `config/checks.py` checks it.
        self.every_n_steps = every_n_steps
        self.root = root
        self._params: list[tuple[str, nn.Parameter]] = []
        self._before: list[Tensor] | None = None
        self._pending: dict[str, float] = {}
        self._step = 0

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._params = watched_parameters(pl_module, self.root)
        if stage == "fit" and not trainer.loggers:
            log.warning("UpdateTelemetry: the run has no logger, so no update telemetry is logged.")

    @torch.no_grad()
    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if trainer.global_step % self.every_n_steps or not trainer.loggers:
            return
        grads = {name: torch.linalg.vector_norm(p.grad) for name, p in self._params if p.grad is not None}
        norms = {f"updates/{name}/grad_norm": value for name, value in grads.items()}
        if grads:
            norms["updates/grad_norm_total"] = torch.linalg.vector_norm(torch.stack(list(grads.values())))
        for name, p in self._params:
            norms[f"updates/{name}/param_norm"] = torch.linalg.vector_norm(p)
        self._pending = {f"updates/lr/group{i}": float(group["lr"]) for i, group in enumerate(optimizer.param_groups)}
        self._pending.update(zip(norms, torch.stack(list(norms.values())).tolist(), strict=True))
        self._before = [p.detach().clone() for _, p in self._params]
        self._step = trainer.global_step

    @torch.no_grad()
    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if self._before is None:
            return
        moved = torch.stack(
            [torch.linalg.vector_norm(p - b) for (_, p), b in zip(self._params, self._before, strict=True)]
        )
        metrics = self._pending
        for (name, _), update in zip(self._params, moved.tolist(), strict=True):
            param_norm = metrics[f"updates/{name}/param_norm"]
            metrics[f"updates/{name}/update_norm"] = update
            metrics[f"updates/{name}/update_ratio"] = update / param_norm if param_norm else float("inf")
        log_scalars(trainer, metrics, self._step)
        self._before, self._pending = None, {}
