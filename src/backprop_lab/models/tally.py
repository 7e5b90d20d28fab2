"""Training loss and accuracy, summed over an epoch at the cost of a few tensor ops a step.

torchmetrics' `MeanMetric` and `BinaryAccuracy` do this job on validation
and test, where they run once per epoch. On the training step they run on
every step, and their Python bookkeeping (argument handling, state
attributes set through `nn.Module.__setattr__`, update counters) cost more
than XOR's whole forward and backward pass; the benchmark
(`scripts/benchmark.py --cases xor`) shows it. This tally keeps two sums
updated in place (two tensor ops a step beyond counting the correct
predictions) and one count in a Python int: the same numbers, no sync with
the device until the epoch ends.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn


def binary_correct(logits: Tensor, target: Tensor) -> Tensor:
    """Correct predictions at probability 0.5 (logit 0)."""
    return ((logits > 0) == (target > 0.5)).sum()


class TrainTally(nn.Module):
    """Epoch mean of the loss (weighted by batch size) and accuracy as `correct(logits, target)` counts it.

    `correct=None` (regression) tallies the loss alone.
    """

    def __init__(self, correct: Callable[[Tensor, Tensor], Tensor] | None = binary_correct) -> None:
        super().__init__()
        # The summed loss * batch size and number of correct predictions, made on the loss's device at the
        # first update. Not registered buffers: DDP broadcasts buffers from rank 0 at every forward, which
        # would overwrite each process's own sums with rank 0's.
        self.correct = correct
        self.loss_sum: Tensor | None = None
        self.hits: Tensor | None = None
        self.count = 0

    def update(self, loss: Tensor, logits: Tensor, target: Tensor) -> None:
        """Add one batch; `loss` and `logits` come detached (no `no_grad` needed, nor its cost per step)."""
        n = target.shape[0]
        hits = self.correct(logits, target) if self.correct is not None else None
        if self.loss_sum is None:
            self.loss_sum, self.hits = loss.float() * n, hits
        else:
            self.loss_sum.add_(loss, alpha=n)
            if hits is not None:
                self.hits.add_(hits)
        self.count += n

    def compute(self, prefix: str) -> dict[str, Tensor]:
        loss_sum = self.loss_sum if self.loss_sum is not None else torch.zeros(())
        hits = self.hits.to(loss_sum) if self.hits is not None else torch.zeros_like(loss_sum)
        totals = torch.stack((loss_sum, hits, loss_sum.new_tensor(self.count)))
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(totals)  # under DDP: every process's share, so the mean is global
        mean = totals[:2] / totals[2].clamp(min=1)
        values = {f"{prefix}loss": mean[0]}
        if self.correct is not None:
            values[f"{prefix}acc"] = mean[1]
        return values

    def reset(self) -> None:
        self.loss_sum = self.hits = None
        self.count = 0
