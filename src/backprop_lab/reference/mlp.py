"""A multi-layer perceptron with forward and backward passes written out layer by layer.

Layout (the same as torch.nn.Linear, so numbers move freely between the two):
  params = [(W_1, b_1), ..., (W_L, b_L)],  W_l shape (out, in),  b_l shape (out,).
A batch X has one sample per row, shape (N, in). Layer l computes
  z_l = a_{l-1} @ W_l.T + b_l      (pre-activation)
  a_l = f(z_l)                     (activation; a_0 = X)
Hidden layers use the chosen activation; the last layer has no activation, so
a_L = z_L are logits (one, or one per class; a value for regression), exactly like
  torch.nn.Sequential(Linear, act, Linear, act, ..., Linear).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import get_activation, sigmoid, sigmoid_derivative_from_output
from .losses import OUTPUT_LOSSES, bce, bce_grad

Array = np.ndarray
Params = list[tuple[Array, Array]]


def init_params(sizes: Sequence[int], seed: int = 0) -> Params:
    """Random params for layer sizes like [2, 3, 1], drawn like torch's nn.Linear default.

    torch draws W and b from U(-1/sqrt(fan_in), 1/sqrt(fan_in)); we use the same
    distribution (not the same random numbers) with NumPy's seeded generator.
    """
    rng = np.random.default_rng(seed)
    params: Params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(fan_in)
        W = rng.uniform(-bound, bound, size=(fan_out, fan_in))
        b = rng.uniform(-bound, bound, size=(fan_out,))
        params.append((W, b))
    return params


def flatten(params: Params) -> list[Array]:
    """[W_1, b_1, W_2, b_2, ...]: the same arrays (not copies), in nn.Sequential.parameters() order.

    Optimizers update this list in place, which updates `params` too.
    """
    return [t for layer in params for t in layer]


def copy_params(params: Params) -> Params:
    return [(W.copy(), b.copy()) for W, b in params]


@dataclass
class Forward:
    """Everything the backward pass needs: a[0] = X, then z[l] and a[l+1] for each layer."""

    z: list[Array]
    a: list[Array]

    @property
    def logits(self) -> Array:
        return self.z[-1]


@dataclass
class Backward:
    """delta[l] = dLoss/dz[l] for each layer, and grads in the same layout as params."""

    loss: float
    delta: list[Array]
    grads: Params


def forward(params: Params, X: Array, activation: str) -> Forward:
    """Run the network, keeping every pre-activation z_l and activation a_l."""
    f, _ = get_activation(activation)
    a = [np.asarray(X, dtype=float)]
    z: list[Array] = []
    for l, (W, b) in enumerate(params):
        z.append(a[-1] @ W.T + b)
        last = l == len(params) - 1
        a.append(z[-1] if last else f(z[-1]))
    return Forward(z=z, a=a)


def output_delta(logits: Array, y: Array, from_logits: bool = True, loss: str = "bce") -> tuple[float, Array]:
    """Loss and dLoss/dz_L at the output logit.

    from_logits=True: BCE on the logit directly; the delta is (sigmoid(z) - y) / N.
    from_logits=False: p = sigmoid(z), BCE on p. The chain rule goes through the
    sigmoid in two visible steps, dL/dp * dp/dz, and dp/dz is computed from the
    sigmoid's *output* p - the one place `x * (1 - x)` is the right formula.
    Both give the same delta; the logit form is just more stable.
    loss="softmax_ce" (C logits, y class indices) or "mse" (one output, y values): see `losses.py`.
    """
    if from_logits or loss != "bce":
        value, grad = OUTPUT_LOSSES[loss]
        return value(logits, y), grad(logits, y)
    p = sigmoid(logits)
    return bce(p, y), bce_grad(p, y) * sigmoid_derivative_from_output(p)


def backward(
    params: Params, fwd: Forward, y: Array, activation: str, from_logits: bool = True, loss: str = "bce"
) -> Backward:
    """Backpropagation: the chain rule applied from the last layer to the first.

    For layer l (0-based here), with delta_l = dLoss/dz_l of shape (N, out):
      dW_l = delta_l.T @ a_l          (sums over the batch; a_l is the layer's input)
      db_l = delta_l.sum(axis=0)
      delta_{l-1} = (delta_l @ W_l) * f'(z_{l-1})
    The last line is (W^T delta) * f'(z) from the textbook, with samples as rows.
    """
    _, f_prime = get_activation(activation)
    value, delta = output_delta(fwd.logits, y, from_logits, loss)
    deltas: list[Array] = [delta]
    grads: Params = []
    for l in reversed(range(len(params))):
        W, _ = params[l]
        grads.append((delta.T @ fwd.a[l], delta.sum(axis=0)))
        if l > 0:
            delta = (delta @ W) * f_prime(fwd.z[l - 1])
            deltas.append(delta)
    return Backward(loss=value, delta=deltas[::-1], grads=grads[::-1])


def loss_and_grads(
    params: Params, X: Array, y: Array, activation: str, from_logits: bool = True, loss: str = "bce"
) -> tuple[float, Params]:
    """One forward and one backward pass: the loss and dLoss/d(every parameter)."""
    back = backward(params, forward(params, X, activation), y, activation, from_logits, loss)
    return back.loss, back.grads


def predict_proba(params: Params, X: Array, activation: str) -> Array:
    """P(y = 1) for each row of X, shape (N,)."""
    return sigmoid(forward(params, X, activation).logits)[:, 0]
