"""Networks built from YAML: an MLP, the seed article's logistic unit, and a small conv net.

Every builder takes `input_shape`, the shape of one input row as the data
give it ((2,) for XOR, (1, 8, 8) for the digits as images), and
`out_features`, the number of outputs (1, or one logit per class for a
multi-class task). `models/build.py` passes both from the data, so a config
names only the choices (`hidden`, `channels`, ...). The last layer emits
logits: the sigmoid or softmax lives in the loss and in `predict_step`.

Layers get names (`hidden1`, `act1`, ..., `output`) instead of Sequential's
bare indices, so telemetry and checkpoints read `hidden1.weight` rather than
`0.weight`.
"""

import math
from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from backprop_lab.models.activation_names import ACTIVATION_CLASSES

# The classes of the names the configs may use for `activation`.
ACTIVATIONS: dict[str, type[nn.Module]] = {name: getattr(nn, cls) for name, cls in ACTIVATION_CLASSES.items()}


class InputShapeError(ValueError):
    """A network that cannot take rows of the data's shape (a conv net given flat rows, say)."""


def _flat_input(input_shape: Sequence[int]) -> tuple[OrderedDict[str, nn.Module], int]:
    """A `flatten` layer for rows of more than one dimension (images), and the width it leaves."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    if len(input_shape) > 1:
        layers["flatten"] = nn.Flatten()
    return layers, math.prod(input_shape)


def mlp(
    input_shape: Sequence[int], hidden: Sequence[int], activation: str = "tanh", out_features: int = 1
) -> nn.Sequential:
    """A multi-layer perceptron `input -> hidden[0] -> ... -> out_features` logits; images are flattened first.

    `hidden` and `activation` are checked once, with the config's field names, by `config/checks.py`.
    """
    layers, width = _flat_input(input_shape)
    for i, size in enumerate(hidden, start=1):
        layers[f"hidden{i}"] = nn.Linear(width, size)
        layers[f"act{i}"] = ACTIVATIONS[activation]()
        width = size
    layers["output"] = nn.Linear(width, out_features)
    return nn.Sequential(layers)


def logistic(input_shape: Sequence[int], out_features: int = 1) -> nn.Sequential:
    """The seed article's network: one `Linear(in, 1)` followed by a sigmoid.

    The sigmoid is applied by the loss and at prediction time, so the module
    holds only the linear layer. Its decision boundary is a straight line,
    and XOR is not linearly separable: this network cannot learn XOR. At
    best it classifies three of the four points (accuracy 0.75); trained with
    the article's settings it sits near loss ln 2 = 0.693.
    """
    layers, width = _flat_input(input_shape)
    layers["output"] = nn.Linear(width, out_features)
    return nn.Sequential(layers)


def cnn(
    input_shape: Sequence[int],
    channels: Sequence[int],
    kernel_sizes: Sequence[int],
    pool: Sequence[int],
    hidden: Sequence[int] = (),
    activation: str = "relu",
    batch_norm: bool = False,
    dropout: float = 0.0,
    out_features: int = 1,
) -> nn.Sequential:
    """Conv blocks `conv{i} -> [norm{i}] -> act{i} -> [pool{i}]`, then an MLP head on the flattened maps.

    Inputs are images `(channels, height, width)`. Block i has `channels[i]`
    filters of `kernel_sizes[i]` (padded to keep the size) and, where
    `pool[i] > 1`, a max-pool of that size. `hidden` sizes the head's
    hidden layers (none: one linear layer to the outputs).
    """
    if len(input_shape) != 3:
        raise InputShapeError(
            f"cnn takes images of shape (channels, height, width), but the data give rows of shape "
            f"{tuple(input_shape)}: choose image data (e.g. data=digits data.as_images=true) or model=mlp."
        )
    if not len(channels) == len(kernel_sizes) == len(pool):
        raise InputShapeError(
            f"cnn needs one kernel size and one pool size per conv block: model.net.channels={list(channels)}, "
            f"kernel_sizes={list(kernel_sizes)} and pool={list(pool)} differ in length."
        )
    in_channels, height, width = input_shape
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for i, (out_channels, kernel, size) in enumerate(zip(channels, kernel_sizes, pool, strict=True), start=1):
        layers[f"conv{i}"] = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2)
        if batch_norm:
            layers[f"norm{i}"] = nn.BatchNorm2d(out_channels)
        layers[f"act{i}"] = ACTIVATIONS[activation]()
        height, width = height + 2 * (kernel // 2) - kernel + 1, width + 2 * (kernel // 2) - kernel + 1
        if size > 1:
            layers[f"pool{i}"] = nn.MaxPool2d(size)
            height, width = height // size, width // size
        if height < 1 or width < 1:
            raise InputShapeError(
                f"cnn: the images ({tuple(input_shape)}) shrink to nothing after conv block {i}; use fewer blocks "
                "or smaller model.net.pool sizes."
            )
        in_channels = out_channels
    layers["flatten"] = nn.Flatten()
    features = in_channels * height * width
    for i, size in enumerate(hidden, start=1):
        layers[f"hidden{i}"] = nn.Linear(features, size)
        layers[f"hidden_act{i}"] = ACTIVATIONS[activation]()
        if dropout:
            layers[f"dropout{i}"] = nn.Dropout(dropout)
        features = size
    layers["output"] = nn.Linear(features, out_features)
    return nn.Sequential(layers)
