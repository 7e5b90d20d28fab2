"""Full-batch gradient descent with the NumPy reference, and the XOR data set.

>>> from backprop_lab.reference import SGD, train, xor_data
>>> X, y = xor_data()
>>> result = train([2, 3, 1], "tanh", X, y, SGD(lr=0.5), steps=2000)
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .mlp import Params, copy_params, flatten, init_params, loss_and_grads, predict_proba
from .optimizers import Optimizer

Array = np.ndarray


def xor_data() -> tuple[Array, Array]:
    """The four XOR rows: X shape (4, 2), y shape (4,), both float64."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0], dtype=float)
    return X, y


@dataclass
class TrainResult:
    """Final parameters and the loss before each step (losses[0] is the initial loss)."""

    params: Params
    losses: list[float] = field(default_factory=list)


def train(
    sizes: Sequence[int],
    activation: str,
    X: Array,
    y: Array,
    optimizer: Optimizer,
    steps: int,
    params: Params | None = None,
    seed: int = 0,
    from_logits: bool = True,
    loss: str = "bce",
) -> TrainResult:
    """Repeat: forward, backward, optimizer step - on the whole batch each time.

    `params` (if given) are copied, never modified; otherwise they come from
    init_params(sizes, seed). The sizes must match the params' shapes. `loss`: bce, softmax_ce or mse.
    """
    params = copy_params(params) if params is not None else init_params(sizes, seed)
    shapes = [W.shape for W, _ in params]
    expected = [(o, i) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    if shapes != expected:
        raise ValueError(f"params have weight shapes {shapes}, sizes {list(sizes)} need {expected}")
    losses: list[float] = []
    for _ in range(steps):
        value, grads = loss_and_grads(params, X, y, activation, from_logits, loss)
        losses.append(value)
        optimizer.step(flatten(params), flatten(grads))
    return TrainResult(params=params, losses=losses)


def accuracy(params: Params, X: Array, y: Array, activation: str) -> float:
    """Fraction of rows where the probability rounds to the right class."""
    predicted = predict_proba(params, X, activation) > 0.5
    return float(np.mean(predicted == (np.asarray(y).reshape(-1) > 0.5)))
