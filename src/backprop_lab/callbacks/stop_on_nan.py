"""Stop training at the first loss that is NaN or infinite.

Lightning has no per-step check for this (`EarlyStopping(check_finite=True)`
looks at an epoch metric, after the bad updates have happened, and
`detect_anomaly` slows every backward pass), so this is our own. The check
runs before the backward pass, so the bad loss never reaches the weights and
the checkpoints already written stay the last good ones. It costs one
`isfinite` and one host sync per step.
"""

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from torch import Tensor

from backprop_lab.errors import TrainingDiverged


class StopOnNonFiniteLoss(Callback):
    """Raise `TrainingDiverged`, naming the step, when the training loss is not a finite number."""

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: Tensor) -> None:
        if bool(torch.isfinite(loss.detach()).all()):
            return
        raise TrainingDiverged(self.message(trainer, loss))

    @staticmethod
    def message(trainer: L.Trainer, loss: Tensor) -> str:
        lr = _first_lr(trainer)
        hint = f"lower than the current {lr:g}, e.g. optimizer.lr={lr / 10:g}" if lr is not None else "smaller"
        return (
            f"Training diverged: the loss became {loss.detach().float().mean().item()} at step {trainer.global_step} "
            f"(epoch {trainer.current_epoch}), so training stopped before that step changed any weight. "
            f"Try a learning rate {hint}, or clip gradients with trainer.gradient_clip_val=1.0. "
            "The checkpoints saved before this step are kept."
        )


def _first_lr(trainer: L.Trainer) -> float | None:
    for optimizer in trainer.optimizers:
        for group in optimizer.param_groups:
            return float(group["lr"])
    return None
