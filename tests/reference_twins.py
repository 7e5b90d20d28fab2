"""Torch twins of the NumPy reference's networks, shared by the reference tests.

A module of its own, listed in pyproject's `known-local-folder` like `helpers`:
a test that imported a sibling test module put it among first-party imports,
where its place depended on the package's name (a rename to `zeta_lab` broke
`ruff check .`).
"""

import torch
from omegaconf import DictConfig, OmegaConf
from torch import nn

from backprop_lab import reference as ref

TORCH_ACTIVATIONS = {
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "identity": torch.nn.Identity,
}


def torch_twin(params: ref.Params, activation: str) -> torch.nn.Sequential:
    """The same network in torch: Linear, act, ..., Linear, loaded with the same numbers."""
    layers: list[torch.nn.Module] = []
    for i, (W, b) in enumerate(params):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(params) - 1:
            layers.append(TORCH_ACTIVATIONS[activation]())
    return torch.nn.Sequential(*layers)


def linear_params(net: nn.Module) -> ref.Params:
    """The net's Linear layers as the reference's [(W, b), ...], float64."""
    return [
        (m.weight.detach().double().numpy().copy(), m.bias.detach().double().numpy().copy())
        for m in net.modules()
        if isinstance(m, nn.Linear)
    ]


def optimizer_kwargs(cfg: DictConfig) -> dict:
    """The config's optimizer as the reference's optimizers take it: its target and plain keyword arguments."""
    kwargs = OmegaConf.to_container(cfg.optimizer, resolve=True)
    target = kwargs.pop("_target_")
    kwargs.pop("_partial_")
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return {"target": target, **kwargs}
