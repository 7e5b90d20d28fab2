"""A gradient check for the configured network and loss: does every parameter's backward match finite differences?

`torch.autograd.gradcheck` compares the analytic gradient (what backward
computes) with central finite differences, in float64 where the two agree
to many digits. A fork that writes its own layer or loss runs this to prove
its backward before trusting any training curve.
"""

from dataclasses import dataclass

import torch
from omegaconf import DictConfig
from torch.func import functional_call

from backprop_lab.train import build_model


@dataclass
class ParameterCheck:
    """One parameter's verdict."""

    name: str
    shape: tuple[int, ...]
    passed: bool


def check_gradients(cfg: DictConfig, rows: int = 8) -> list[ParameterCheck]:
    """Gradcheck the loss on `rows` training rows with respect to each of the network's parameters."""
    from hydra.utils import instantiate

    torch.manual_seed(int(cfg.get("seed", 0)))
    datamodule = instantiate(cfg.data)
    model = build_model(cfg, datamodule).double()
    x, y = datamodule.splits["train"]
    x, y = x[:rows].double(), y[:rows].double()
    params = dict(model.named_parameters())
    results = []
    for name, value in params.items():

        def loss_of(p: torch.Tensor, name: str = name) -> torch.Tensor:
            return model.loss_fn(functional_call(model, {**params, name: p}, (x,)), y)

        start = value.detach().clone().requires_grad_(True)
        passed = torch.autograd.gradcheck(loss_of, (start,), raise_exception=False)
        results.append(ParameterCheck(name, tuple(value.shape), bool(passed)))
    return results
