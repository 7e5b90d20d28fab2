"""A gradient check for the configured network and loss: does every parameter's backward match finite differences?

`torch.autograd.gradcheck` compares the analytic gradient (what backward
computes) with central finite differences, in float64 where the two agree
to many digits. A fork that writes its own layer or loss runs this to prove
its backward before trusting any training curve.

The rows are the first few of the data module's training loader (after
`prepare_data()` and `setup("fit")`, as a trainer would call them), taken
without touching its shuffling (`callbacks/rows_sample.py`): any data module
that returns a `DataLoader` of `(x, y)` batches, inputs of any shape. The
loss is the module's own (`callbacks/module_loss.py`: `loss_fn`, or what its
`training_step` returns), in eval mode, so dropout does not make the two
sides differ.
"""

from dataclasses import dataclass

import lightning as L
import torch
from omegaconf import DictConfig
from torch.func import functional_call

from backprop_lab.callbacks.module_loss import ModuleLoss
from backprop_lab.callbacks.rows_sample import first_rows
from backprop_lab.train import build_model


@dataclass
class ParameterCheck:
    """One parameter's verdict."""

    name: str
    shape: tuple[int, ...]
    passed: bool


def check_gradients(cfg: DictConfig, rows: int = 8) -> list[ParameterCheck]:
    """Gradcheck the loss on `rows` training rows with respect to each of the configured network's parameters."""
    from hydra.utils import instantiate

    torch.manual_seed(int(cfg.get("seed", 0)))
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    x, y = first_rows(datamodule.train_dataloader(), rows)
    return check_module(build_model(cfg, datamodule), x, y)


def check_module(model: L.LightningModule, x: torch.Tensor, y: torch.Tensor) -> list[ParameterCheck]:
    """Gradcheck the loss of any LightningModule on the batch (x, y) with respect to each of its parameters.

    The module is turned to float64 and eval mode (in place), as are the batch's floating-point tensors.
    """
    model = model.double().eval()
    loss = ModuleLoss(model).eval()
    x, y = (t.double() if t.is_floating_point() else t for t in (x, y))
    results = []
    for name, value in model.named_parameters():

        def loss_of(p: torch.Tensor, name: str = name) -> torch.Tensor:
            return functional_call(loss, {f"module.{name}": p}, (x, y))

        start = value.detach().clone().requires_grad_(True)
        passed = torch.autograd.gradcheck(loss_of, (start,), raise_exception=False)
        results.append(ParameterCheck(name, tuple(value.shape), bool(passed)))
    return results
