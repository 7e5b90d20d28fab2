"""Builders for the `nn.Sequential` networks the classifier wraps.

Layers get names (`hidden1`, `act1`, ..., `output`) instead of Sequential's
bare indices, so telemetry and checkpoints read `hidden1.weight` rather than
`0.weight`. The last layer emits logits: the sigmoid lives in the
loss (`BCEWithLogitsLoss`) and in `predict_step`, never in the network.
`out_features` is 1 except for a multi-class task, which passes its
number of classes (one logit per class).
"""

from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from backprop_lab.models.activation_names import ACTIVATION_CLASSES

# The classes of the names the configs may use for `activation`.
ACTIVATIONS: dict[str, type[nn.Module]] = {name: getattr(nn, cls) for name, cls in ACTIVATION_CLASSES.items()}


def mlp(in_features: int, hidden: Sequence[int], activation: str = "tanh", out_features: int = 1) -> nn.Sequential:
    """A multi-layer perceptron `in -> hidden[0] -> ... -> out_features` logits.

    `hidden` and `activation` are checked once, with the config's field names, by `config/checks.py`.
    """
    sizes = list(hidden)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = in_features
    for i, size in enumerate(sizes, start=1):
        layers[f"hidden{i}"] = nn.Linear(width, size)
        layers[f"act{i}"] = ACTIVATIONS[activation]()
        width = size
    layers["output"] = nn.Linear(width, out_features)
    return nn.Sequential(layers)


def logistic(in_features: int, out_features: int = 1) -> nn.Sequential:
    """The seed article's network: one `Linear(in, 1)` followed by a sigmoid.

    The sigmoid is applied by the loss and at prediction time, so the module
    holds only the linear layer. Its decision boundary is a straight line,
    and XOR is not linearly separable: this network cannot learn XOR. At
    best it classifies three of the four points (accuracy 0.75); trained with
    the article's settings it sits near loss ln 2 = 0.693.
    """
    return nn.Sequential(OrderedDict(output=nn.Linear(in_features, out_features)))
