"""Every option of every config group composes, and the swappable parts instantiate."""

import functools

import pytest
import torch
from hydra.utils import instantiate

from backprop_lab.train import build, instantiate_each
from conftest import CONFIGS, compose_train

GROUPS = sorted(p.name for p in CONFIGS.iterdir() if p.is_dir() and p.name not in {"hydra", "local"})
OPTIONS = [(group, option.stem) for group in GROUPS for option in sorted((CONFIGS / group).glob("*.yaml"))]


def test_groups_are_the_documented_ones():
    for group in ["optimizer", "scheduler", "model", "data", "trainer", "logger", "callbacks", "paths"]:
        assert group in GROUPS


@pytest.mark.parametrize(("group", "option"), OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_every_option_composes_and_instantiates(group, option, tmp_path):
    cfg = compose_train(f"{group}={option}", output_dir=tmp_path)
    node = cfg.get(group)
    if group == "optimizer":
        factory = instantiate(node)
        assert isinstance(factory, functools.partial)
        assert isinstance(factory([torch.nn.Parameter(torch.zeros(1))]), torch.optim.Optimizer)
    elif group == "scheduler" and node:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        assert instantiate(node)(optimizer) is not None
    elif group in ("callbacks", "logger"):
        assert len(instantiate_each(node)) == len(node or {})
    elif group == "trainer" and node.accelerator == "gpu" and not torch.cuda.is_available():
        pytest.skip("no CUDA device here; composition checked above")
    elif group in ("model", "data", "trainer"):
        datamodule, model, trainer = build(cfg)
        assert model(datamodule.splits["train"][0]).shape == (len(datamodule.splits["train"][0]),)


def test_optimizer_and_lr_are_the_interface(tmp_path):
    cfg = compose_train("optimizer=rmsprop", "optimizer.lr=0.003", output_dir=tmp_path)
    optimizer = instantiate(cfg.optimizer)([torch.nn.Parameter(torch.zeros(1))])
    assert isinstance(optimizer, torch.optim.RMSprop)
    assert optimizer.param_groups[0]["lr"] == 0.003


def test_unknown_option_lists_the_available_ones():
    from hydra.errors import MissingConfigException

    with pytest.raises(MissingConfigException) as err:
        compose_train("optimizer=nadam")
    for name in ["adam", "adamw", "rmsprop", "sgd"]:
        assert name in str(err.value)
