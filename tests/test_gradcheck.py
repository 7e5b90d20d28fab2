"""scripts/gradcheck.py passes the shipped networks and catches a layer whose backward is wrong."""

from collections import OrderedDict

import lightning as L
import pytest
import torch
from torch import nn

from backprop_lab.analysis.gradcheck import check_gradients, check_module

from helpers import SCRIPTS, compose_train, run_in_process


class _WrongTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.tanh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (1 - torch.tanh(x))  # should be 1 - tanh(x)**2


class WrongTanh(nn.Module):
    def forward(self, x):
        return _WrongTanh.apply(x)


def wrong_net(in_features: int, out_features: int = 1) -> nn.Sequential:
    """A fork's custom layer with a broken backward."""
    return nn.Sequential(OrderedDict(hidden1=nn.Linear(in_features, 4), act1=WrongTanh(), output=nn.Linear(4, 1)))


def test_shipped_networks_pass_for_every_task():
    for overrides in (["data=xor"], ["data=blobs", "data.num_classes=3"], ["data=diabetes", "model.loss=huber"]):
        results = check_gradients(compose_train(*overrides), rows=6)
        assert [r.name for r in results] == [
            "net.hidden1.weight",
            "net.hidden1.bias",
            "net.output.weight",
            "net.output.bias",
        ]
        assert all(r.passed for r in results), overrides


class ForkedModule(L.LightningModule):
    """A fork's own LightningModule around the broken layer: no template class, the loss only in training_step."""

    def __init__(self) -> None:
        super().__init__()
        self.net = wrong_net(2)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = nn.functional.binary_cross_entropy_with_logits(self.net(x).squeeze(-1), y)
        self.log("train/loss", loss)
        return loss


def test_a_wrong_backward_fails_on_the_parameters_before_it():
    torch.manual_seed(0)
    results = check_module(ForkedModule(), torch.randn(8, 2), torch.tensor([0.0, 1.0] * 4))
    verdict = {r.name: r.passed for r in results}
    assert verdict == {
        "net.hidden1.weight": False,
        "net.hidden1.bias": False,
        "net.output.weight": True,
        "net.output.bias": True,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["foo.bar=1"], "Could not override 'foo.bar'"),
        (["optimizer=nope"], "Could not find 'optimizer/nope'"),
        (["model.net.hidden=[1,"], "no viable alternative at input '[1,'"),
        (["model.net.hidden=[0]"], "model.net.hidden=[0] is not allowed"),
        (["--rows", "-3"], "argument --rows: -3 is not allowed: give a whole number >= 1"),
        (["--rows", "abc"], "argument --rows: 'abc' is not a whole number"),
    ],
    ids=["unknown-key", "unknown-option", "override-syntax", "hidden-0", "rows-negative", "rows-text"],
)
def test_bad_overrides_and_options_are_refused_in_one_paragraph(args, message):
    proc = run_in_process(SCRIPTS / "gradcheck.py", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr and "Config search path" not in proc.stderr
    assert "pass" not in proc.stdout
