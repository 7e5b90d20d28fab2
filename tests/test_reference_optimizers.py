"""The NumPy reference optimizers, checked step for step against torch.optim."""

import importlib
import inspect

import numpy as np
import pytest
import torch

from backprop_lab import reference as ref

SHAPES = [(3, 2), (3,), (1, 3), (1,)]
# torch.optim switches about speed, devices and autograd; they do not change the update rule.
IMPLEMENTATION_FLAGS = {"foreach", "fused", "capturable", "differentiable", "maximize"}
STEPS = 100

CASES = {
    "SGD-defaults": ("SGD", {}),
    "SGD-lr": ("SGD", {"lr": 0.1}),
    "SGD-momentum": ("SGD", {"lr": 0.05, "momentum": 0.9}),
    "SGD-momentum-dampening": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    "SGD-nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "SGD-weight_decay": ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    "SGD-nesterov-weight_decay": (
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    ),
    "Adam-defaults": ("Adam", {}),
    "Adam-lr-betas-eps": ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-4}),
    "Adam-coupled_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    "Adam-amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}),
    "Adam-amsgrad-weight_decay": ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    "AdamW-defaults": ("AdamW", {}),
    "AdamW-decoupled_weight_decay": ("AdamW", {"lr": 0.01, "weight_decay": 0.5}),
    "AdamW-amsgrad": ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    "RMSprop-defaults": ("RMSprop", {}),
    "RMSprop-alpha": ("RMSprop", {"lr": 0.005, "alpha": 0.9}),
    "RMSprop-centered": ("RMSprop", {"lr": 0.005, "centered": True}),
    "RMSprop-momentum": ("RMSprop", {"lr": 0.005, "momentum": 0.9}),
    "RMSprop-centered-momentum-weight_decay": (
        "RMSprop",
        {"lr": 0.005, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    ),
}
PARAMS = [pytest.param(name, kwargs, id=case_id) for case_id, (name, kwargs) in CASES.items()]


def gradient_sequence(seed: int = 0) -> list[list[np.ndarray]]:
    """Noisy gradients whose size swings by orders of magnitude (so amsgrad's max matters)."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape) * np.exp(rng.normal(scale=1.5)) for shape in SHAPES] for _ in range(STEPS)]


def assert_params_close(mine: list[np.ndarray], theirs: list[torch.Tensor]) -> None:
    for m, t in zip(mine, theirs, strict=True):
        torch.testing.assert_close(torch.from_numpy(m), t.detach(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("name", "kwargs"), PARAMS)
def test_fixed_gradient_sequence_matches_torch(name, kwargs):
    rng = np.random.default_rng(1)
    mine = [rng.normal(size=shape) for shape in SHAPES]
    theirs = [torch.tensor(p, requires_grad=True) for p in mine]
    mine_opt = ref.OPTIMIZERS[name](**kwargs)
    torch_opt = getattr(torch.optim, name)(theirs, **kwargs)

    for grads in gradient_sequence():
        mine_opt.step(mine, grads)
        for t, g in zip(theirs, grads, strict=True):
            t.grad = torch.from_numpy(g.copy())
        torch_opt.step()

    assert mine_opt.t == STEPS
    assert_params_close(mine, theirs)


@pytest.mark.parametrize(("name", "kwargs"), PARAMS)
def test_training_xor_matches_torch(name, kwargs):
    """A real loss: the reference trainer and a torch loop take the same 100 steps on XOR."""
    X, y = ref.xor_data()
    params = ref.init_params([2, 3, 1], seed=4)
    result = ref.train([2, 3, 1], "tanh", X, y, ref.OPTIMIZERS[name](**kwargs), STEPS, params=params)

    net = torch.nn.Sequential(
        torch.nn.Linear(2, 3, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(3, 1, dtype=torch.float64),
    )
    with torch.no_grad():
        for p, value in zip(net.parameters(), ref.flatten(params), strict=True):
            p.copy_(torch.from_numpy(value))
    torch_opt = getattr(torch.optim, name)(net.parameters(), **kwargs)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(STEPS):
        torch_opt.zero_grad()
        loss = loss_fn(net(torch.from_numpy(X)), torch.from_numpy(y).reshape(-1, 1))
        loss.backward()
        torch_opt.step()
        losses.append(loss.item())

    np.testing.assert_allclose(result.losses, losses, rtol=1e-6)
    assert_params_close(ref.flatten(result.params), list(net.parameters()))


@pytest.mark.parametrize("name", list(ref.OPTIMIZERS))
def test_constructor_arguments_and_defaults_match_torch(name):
    """Same names, same defaults: a config written for torch.optim builds the reference too."""
    ours = inspect.signature(ref.OPTIMIZERS[name]).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    torch_hyperparameters = {
        p for p, spec in theirs.items() if spec.default is not inspect.Parameter.empty and p not in IMPLEMENTATION_FLAGS
    }
    assert torch_hyperparameters <= set(ours)
    for p in ours:
        assert p in theirs, f"{name} has {p!r}, torch.optim.{name} does not"
        assert ours[p].default == theirs[p].default, p


@pytest.mark.parametrize(
    "config",
    [
        {"_target_": "torch.optim.SGD", "lr": 0.1, "momentum": 0.9, "nesterov": True},
        {"_target_": "torch.optim.Adam", "lr": 0.01, "betas": [0.9, 0.99], "amsgrad": True},
        {"_target_": "torch.optim.AdamW", "lr": 0.01, "weight_decay": 0.1},
        {"_target_": "torch.optim.RMSprop", "lr": 0.01, "centered": True},
    ],
    ids=lambda c: c["_target_"].rsplit(".", 1)[-1],
)
def test_a_hydra_style_config_builds_both_optimizers(config):
    kwargs = {k: v for k, v in config.items() if k != "_target_"}
    module, cls = config["_target_"].rsplit(".", 1)
    theta = np.array([1.0, -2.0])
    tensor = torch.tensor(theta.copy(), requires_grad=True)
    torch_opt = getattr(importlib.import_module(module), cls)([tensor], **kwargs)
    mine_opt = ref.from_target(config["_target_"], **kwargs)
    assert type(mine_opt) is ref.OPTIMIZERS[cls]
    for _ in range(3):
        mine_opt.step([theta], [theta * 2])
        tensor.grad = tensor.detach() * 2
        torch_opt.step()
    assert_params_close([theta], [tensor])


def test_step_updates_the_given_arrays_in_place():
    params = ref.init_params([2, 2, 1])
    W1 = params[0][0]
    before = W1.copy()
    ref.SGD(lr=1.0).step(ref.flatten(params), [np.ones_like(t) for t in ref.flatten(params)])
    assert params[0][0] is W1
    np.testing.assert_allclose(W1, before - 1.0)


def test_sgd_nesterov_needs_momentum_like_torch():
    with pytest.raises(ValueError):
        ref.SGD(lr=0.1, nesterov=True)
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, nesterov=True)
