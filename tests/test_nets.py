import pytest
import torch
from torch import nn

from backprop_lab.models.nets import ACTIVATIONS, logistic, mlp


def test_mlp_layers_are_named_and_sized():
    net = mlp(2, [8, 4], "relu")
    assert [name for name, _ in net.named_children()] == ["hidden1", "act1", "hidden2", "act2", "output"]
    assert isinstance(net.act1, nn.ReLU)
    assert net.hidden1.weight.shape == (8, 2)
    assert net.hidden2.weight.shape == (4, 8)
    assert net.output.weight.shape == (1, 4)
    assert net(torch.zeros(5, 2)).shape == (5, 1)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_builds(activation):
    assert isinstance(mlp(3, [4], activation).act1, ACTIVATIONS[activation])


def test_logistic_is_the_articles_single_linear_layer():
    net = logistic(2)
    assert [type(m) for m in net] == [nn.Linear]
    assert net.output.weight.shape == (1, 2)
