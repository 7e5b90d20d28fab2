"""The three tasks a model can learn: binary, multi-class, regression.

A task decides everything that depends on what the targets are: the
network's output width, the loss, how a batch's targets are shaped for the
loss, which torchmetrics score a stage (and which one the progress bar shows), and
what `predict_step` returns. The LightningModule
(`models/classifier.py`) asks its task and has no branch on the task's name.

Targets travel as float tensors of shape (N,) for every task (the data
modules' one format); the multi-class task casts them to class indices.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryAUROC,
    BinaryF1Score,
    MulticlassAccuracy,
    MulticlassAUROC,
    MulticlassF1Score,
)
from torchmetrics.regression import MeanAbsoluteError, MeanSquaredError, R2Score

TASK_NAMES = ("binary", "multiclass", "regression")
REGRESSION_LOSSES: dict[str, Callable[[], nn.Module]] = {"mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.HuberLoss}


class _LongTargets(nn.Module):
    """A loss that takes the data's float targets and hands the inner loss class indices."""

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(self, logits: Tensor, y: Tensor) -> Tensor:
        return self.loss(logits, y.long())


class Task:
    """What every task provides; see the subclasses."""

    name = ""
    out_features = 1
    main_metric = "acc"  # the validation score the progress bar shows beside the losses

    def __init__(self, num_classes: int = 2) -> None:
        self.num_classes = num_classes
        self.loss_fn: nn.Module = nn.Identity()

    @property
    def data_loss(self) -> nn.Module:
        """The loss on the data's own (float) targets: what the loss landscape and tests call."""
        return self.loss_fn

    def output(self, raw: Tensor) -> Tensor:
        """The network's output in the shape the loss takes: (N,) for one output, (N, C) for C."""
        return raw.squeeze(-1) if self.out_features == 1 else raw

    def target(self, y: Tensor) -> Tensor:
        return y

    def target_for_metrics(self, y: Tensor) -> Tensor:
        return y

    def metrics(self) -> dict[str, Metric]:
        """The scores of the validation and test stages, by name."""
        raise NotImplementedError

    def train_metrics(self) -> dict[str, Metric]:
        """The scores tracked during training: the accuracy alone (AUROC over every step's rows would cost)."""
        return {name: metric for name, metric in self.metrics().items() if name == "acc"}

    def scored(self, logits: Tensor) -> Tensor:
        """What the metrics take: probabilities for classifiers, values for regression."""
        return logits

    def predict(self, logits: Tensor) -> Tensor:
        return self.scored(logits)

    def scores(self, prefix: str, train: bool = False) -> MetricCollection:
        """The stage's metrics as one collection whose names carry the stage, e.g. `val/acc`."""
        return MetricCollection(self.train_metrics() if train else self.metrics(), prefix=prefix, compute_groups=False)


class BinaryTask(Task):
    """One logit; BCE with logits (the sigmoid fused into the loss: stable, and allowed under autocast)."""

    name = "binary"

    def __init__(self, num_classes: int = 2) -> None:
        super().__init__(2)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def metrics(self) -> dict[str, Metric]:
        # validate_args=False: the inputs are ours and well-formed; the checks cost per step.
        return {
            "acc": BinaryAccuracy(validate_args=False),
            "auroc": BinaryAUROC(validate_args=False),
            "f1": BinaryF1Score(validate_args=False),
        }

    def scored(self, logits: Tensor) -> Tensor:
        return torch.sigmoid(logits)

    def target_for_metrics(self, y: Tensor) -> Tensor:
        return y.long()


class MulticlassTask(Task):
    """C logits; cross-entropy on logits (log-softmax fused into the loss)."""

    name = "multiclass"

    def __init__(self, num_classes: int = 3) -> None:
        super().__init__(num_classes)
        self.out_features = num_classes
        self.loss_fn = nn.CrossEntropyLoss()

    def target(self, y: Tensor) -> Tensor:
        return y.long()

    @property
    def data_loss(self) -> nn.Module:
        return _LongTargets(self.loss_fn)

    def metrics(self) -> dict[str, Metric]:
        c = self.num_classes
        return {
            "acc": MulticlassAccuracy(c, average="micro", validate_args=False),
            "f1": MulticlassF1Score(c, average="macro", validate_args=False),
            "auroc": MulticlassAUROC(c, validate_args=False),
        }

    def scored(self, logits: Tensor) -> Tensor:
        return torch.softmax(logits, dim=-1)

    def target_for_metrics(self, y: Tensor) -> Tensor:
        return y.long()


class RegressionTask(Task):
    """One output; MSE by default (`model.loss=l1|huber`). Metrics in the target's own units."""

    name = "regression"
    main_metric = "r2"

    def __init__(self, num_classes: int = 0, loss: str = "mse") -> None:
        super().__init__(0)
        self.loss_fn = REGRESSION_LOSSES[loss]()
        self.mean, self.std = 0.0, 1.0  # the target's standardisation; metrics undo it

    def metrics(self) -> dict[str, Metric]:
        return {"mse": MeanSquaredError(), "mae": MeanAbsoluteError(), "r2": R2Score()}

    def scored(self, logits: Tensor) -> Tensor:
        return logits * self.std + self.mean

    def target_for_metrics(self, y: Tensor) -> Tensor:
        return y * self.std + self.mean


TASKS: dict[str, type[Task]] = {"binary": BinaryTask, "multiclass": MulticlassTask, "regression": RegressionTask}


def make_task(name: str, num_classes: int, loss: str = "mse") -> Task:
    """The task object for `name` (one of `TASK_NAMES`)."""
    if name == "regression":
        return RegressionTask(loss=loss)
    return TASKS[name](num_classes)
