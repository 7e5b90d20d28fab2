"""The training loss of any LightningModule as a plain function of (x, y), for the loss landscape and gradcheck.

Two ways, chosen by what the module offers:

- `loss_fn`: a module with a `loss_fn` attribute (the template's has one)
  gives `loss_fn(module(x), y)`. A pure function of the parameters, so the
  landscape evaluates it for a chunk of weight vectors at once (`vmap`).
- otherwise, the loss the module itself trains on: the value its
  `training_step((x, y), 0)` returns (a tensor, or the "loss" of a dict).
  It is called on a deep copy of the module: the copy has no trainer
  (Lightning drops it when copying), so `self.log` in the step logs nothing
  (Lightning warns and returns; the warning is silenced here), and whatever
  else the step updates (torchmetrics states, counters) belongs to the copy,
  so the run's own metrics and logging are untouched. Lightning's own
  `training_step` is the one loss definition every LightningModule has;
  guessing a criterion from the output's shape would measure a loss other
  than the one the weights were trained on. The step is not written for
  `vmap`, so each weight vector is one call.

Both are wrapped in an `nn.Module` whose `forward(x, y)` is the loss, so
`torch.func.functional_call(loss, {"module.<name>": tensor, ...}, (x, y))`
evaluates it at other parameters without touching the module's own.
"""

import copy
import warnings
from collections.abc import Mapping

import lightning as L
from torch import Tensor, nn


class ModuleLoss(nn.Module):
    """`forward(x, y)`: the loss of `pl_module` on the batch (see the module docstring for which loss)."""

    def __init__(self, pl_module: L.LightningModule) -> None:
        super().__init__()
        self.batched = callable(getattr(pl_module, "loss_fn", None))
        # Registered as a child: functional_call reaches the parameters as "module.<name>".
        self.module = pl_module if self.batched else copy.deepcopy(pl_module)

    @property
    def how(self) -> str:
        """Which loss, in a few words, for the pictures' captions and the log."""
        return "loss" if self.batched else "training_step loss"

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if self.batched:
            return self.module.loss_fn(self.module(x), y)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r"You are trying to `self.log\(\)`")
            out = self.module.training_step((x, y), 0)
        loss = out.get("loss") if isinstance(out, Mapping) else out
        if not isinstance(loss, Tensor):
            raise TypeError(
                f"{type(self.module).__name__}.training_step returned {type(out).__name__}, not a loss tensor "
                "or a dict with 'loss', and the module has no `loss_fn` to take the loss from."
            )
        return loss
