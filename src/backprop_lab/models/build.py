"""Building the network from its config and the data's shape: what train, eval and predict share.

A network's constructor names the data-given arguments it wants, and gets
exactly those: `input_shape` (one row's shape, e.g. (2,) or (1, 8, 8)),
`in_features` (the width of flat rows) and `out_features` (1, or the number
of classes of a multi-class task). Everything else comes from the config,
so any `nn.Module` works as `model.net._target_`. A network that takes
`in_features` but not `input_shape` declares that it needs flat rows; one
that raises `InputShapeError` declares what else it needs. Either way, data
it cannot take stop the run with `IncompatibleData` before training.
"""

import inspect
import math
from collections.abc import Mapping, Sequence
from typing import Any

from hydra.utils import get_object, instantiate
from torch import nn

from backprop_lab.errors import IncompatibleData
from backprop_lab.models.nets import InputShapeError

DATA_ARGUMENTS = ("input_shape", "in_features", "out_features")


def data_arguments(target: str, input_shape: Sequence[int], out_features: int) -> dict[str, Any]:
    """The data-given arguments the constructor `target` names in its signature."""
    try:
        parameters = inspect.signature(get_object(target)).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return {}  # a target that does not import is reported by `instantiate`; one without a signature gets none
    if "in_features" in parameters and "input_shape" not in parameters and len(input_shape) != 1:
        raise IncompatibleData(
            f"model.net._target_={target} takes flat rows (in_features), but the data give rows of shape "
            f"{tuple(input_shape)}. Choose a network that takes input_shape (e.g. model=cnn or model=mlp, "
            "which flattens images), or data of flat rows."
        )
    given = {"input_shape": tuple(input_shape), "in_features": math.prod(input_shape), "out_features": out_features}
    return {name: value for name, value in given.items() if name in parameters}


def build_net(node: Mapping[str, Any], input_shape: Sequence[int], out_features: int) -> nn.Module:
    """`instantiate(node)` with the data-given arguments its target takes; data it cannot take are refused."""
    target = str(node["_target_"])
    try:
        return instantiate(node, **data_arguments(target, input_shape, out_features))
    except Exception as err:
        cause = err.__cause__ if isinstance(err.__cause__, InputShapeError) else err
        if isinstance(cause, InputShapeError):
            raise IncompatibleData(f"Invalid config, nothing was trained. {cause}") from err
        raise
