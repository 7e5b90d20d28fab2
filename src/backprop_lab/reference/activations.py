"""Activation functions and their derivatives, written out by hand.

Every derivative here is taken with respect to the activation's *input* z,
because that is what the chain rule needs: delta_l = (W_{l+1}^T delta_{l+1}) * f'(z_l).
The one exception is `sigmoid_derivative_from_output`, kept to show the trap
in the popular `sigmoid_derivative(x) = x * (1 - x)` snippet.
"""

from collections.abc import Callable

import numpy as np

Array = np.ndarray
Fn = Callable[[Array], Array]


def sigmoid(z: Array) -> Array:
    """1 / (1 + exp(-z)), computed as exp(-log(1 + exp(-z))) so large |z| never overflows."""
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_prime(z: Array) -> Array:
    """d sigmoid / dz at the *input* z: sigmoid(z) * (1 - sigmoid(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def sigmoid_derivative_from_output(a: Array) -> Array:
    """The article's `sigmoid_derivative(x) = x * (1 - x)`, its hidden assumption made explicit.

    The formula is only right when `a` is the sigmoid's *output*, a = sigmoid(z):
    then a * (1 - a) == sigmoid_prime(z). Feeding it the input z instead is a silent
    bug: e.g. at z = 2 it returns 2 * (1 - 2) = -2, while the true slope is about 0.105.
    """
    return a * (1.0 - a)


def tanh(z: Array) -> Array:
    return np.tanh(z)


def tanh_prime(z: Array) -> Array:
    """d tanh / dz = 1 - tanh(z)^2."""
    return 1.0 - np.tanh(z) ** 2


def relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def relu_prime(z: Array) -> Array:
    """1 where z > 0, else 0. At exactly z = 0 we pick 0, the same choice torch makes."""
    return (z > 0).astype(z.dtype)


def identity(z: Array) -> Array:
    return z


def identity_prime(z: Array) -> Array:
    return np.ones_like(z)


ACTIVATIONS: dict[str, tuple[Fn, Fn]] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "identity": (identity, identity_prime),
}
"""Activation name -> (f, f' with respect to the input z)."""


def get_activation(name: str) -> tuple[Fn, Fn]:
    """Look up (f, f') by name, with an error that lists the valid names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(ACTIVATIONS)}") from None
