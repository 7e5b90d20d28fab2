import pytest
import torch
from torch import nn

from backprop_lab.errors import IncompatibleData
from backprop_lab.models.build import build_net
from backprop_lab.models.nets import ACTIVATIONS, InputShapeError, cnn, logistic, mlp


def test_mlp_layers_are_named_and_sized():
    net = mlp((2,), [8, 4], "relu")
    assert [name for name, _ in net.named_children()] == ["hidden1", "act1", "hidden2", "act2", "output"]
    assert isinstance(net.act1, nn.ReLU)
    assert net.hidden1.weight.shape == (8, 2)
    assert net.hidden2.weight.shape == (4, 8)
    assert net.output.weight.shape == (1, 4)
    assert net(torch.zeros(5, 2)).shape == (5, 1)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_builds(activation):
    assert isinstance(mlp((3,), [4], activation).act1, ACTIVATIONS[activation])


def test_logistic_is_the_articles_single_linear_layer():
    net = logistic((2,))
    assert [type(m) for m in net] == [nn.Linear]
    assert net.output.weight.shape == (1, 2)


def test_mlp_and_logistic_flatten_images_first():
    net = mlp((1, 8, 8), [16])
    assert isinstance(net.flatten, nn.Flatten) and net.hidden1.weight.shape == (16, 64)
    assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 1)
    assert logistic((3, 4)).output.weight.shape == (1, 12)


def test_cnn_blocks_are_named_and_sized_from_the_input_shape():
    net = cnn((1, 8, 8), [4, 6], kernel_sizes=[3, 3], pool=[2, 1], hidden=[10], batch_norm=True, out_features=5)
    names = [name for name, _ in net.named_children()]
    assert names[:5] == ["conv1", "norm1", "act1", "pool1", "conv2"]
    assert net.conv1.weight.shape == (4, 1, 3, 3) and net.conv2.weight.shape == (6, 4, 3, 3)
    assert net.hidden1.weight.shape == (10, 6 * 4 * 4)  # 8x8, pooled by 2 once: 4x4 maps of 6 channels
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 5)


def test_cnn_refuses_flat_rows_and_mismatched_block_lists():
    with pytest.raises(InputShapeError, match=r"shape \(2,\)"):
        cnn((2,), channels=[4], kernel_sizes=[3], pool=[2])
    with pytest.raises(InputShapeError, match="one kernel size and one pool size"):
        cnn((1, 8, 8), channels=[4, 8], kernel_sizes=[3], pool=[2])
    with pytest.raises(InputShapeError, match="shrink to nothing"):
        cnn((1, 4, 4), channels=[4, 4, 4], kernel_sizes=[3, 3, 3], pool=[2, 2, 2])


class FlatOnly(nn.Module):
    """A fork's network that takes flat rows: it names `in_features` and not `input_shape`."""

    def __init__(self, in_features: int, width: int, out_features: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_features, width), nn.ReLU(), nn.Linear(width, out_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class NoDataArguments(nn.Module):
    """A fork's network sized by its config alone."""

    def __init__(self, width: int = 3) -> None:
        super().__init__()
        self.layer = nn.Linear(width, 1)


def test_build_net_gives_each_constructor_the_data_arguments_it_names():
    net = build_net({"_target_": f"{__name__}.FlatOnly", "width": 7}, (5,), out_features=3)
    assert net.body[0].weight.shape == (7, 5) and net.body[2].weight.shape == (3, 7)
    assert build_net({"_target_": f"{__name__}.NoDataArguments"}, (5,), 3).layer.weight.shape == (1, 3)
    shaped = build_net({"_target_": f"{mlp.__module__}.mlp", "hidden": [4]}, (2, 3), 2)
    assert shaped.hidden1.weight.shape == (4, 6) and shaped.output.weight.shape == (2, 4)


def test_build_net_refuses_data_a_network_declares_it_cannot_take():
    with pytest.raises(IncompatibleData, match=r"takes flat rows \(in_features\).*\(1, 8, 8\)"):
        build_net({"_target_": f"{__name__}.FlatOnly", "width": 7}, (1, 8, 8), 1)
    node = {"_target_": f"{cnn.__module__}.cnn", "channels": [4], "kernel_sizes": [3], "pool": [2]}
    with pytest.raises(IncompatibleData, match=r"cnn takes images"):
        build_net(node, (2,), 1)
