"""The losses with the gradient each one sends back: binary cross-entropy (on logits and on
probabilities), softmax cross-entropy for several classes, and mean squared error for regression.

Both losses are the *mean* over the batch, like torch's BCEWithLogitsLoss and BCELoss
with reduction="mean". That 1/N is why every gradient below is divided by N.
"""

import numpy as np

from .activations import sigmoid

Array = np.ndarray


def _column(y: Array, like: Array) -> Array:
    """Targets as a float column shaped like the network output (N, 1)."""
    return np.asarray(y, dtype=like.dtype).reshape(like.shape)


def bce_with_logits(z: Array, y: Array) -> float:
    """Mean BCE on raw logits z, in the stable form max(z, 0) - z*y + log(1 + exp(-|z|)).

    It equals -[y log sigmoid(z) + (1-y) log(1 - sigmoid(z))] but never takes
    the log of a probability that rounded to 0 or 1.
    """
    y = _column(y, z)
    return float(np.mean(np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def bce_with_logits_grad(z: Array, y: Array) -> Array:
    """dL/dz for the mean BCE on logits: simply (sigmoid(z) - y) / N.

    Why so simple: dL/dp = (p - y) / (p (1 - p)) per sample, and dp/dz = p (1 - p);
    the two p (1 - p) factors cancel. This is the output delta of the network.
    """
    y = _column(y, z)
    return (sigmoid(z) - y) / z.shape[0]


def bce(p: Array, y: Array) -> float:
    """Mean BCE on probabilities p in [0, 1].

    Like torch.nn.BCELoss, each log is clamped at -100 so p = 0 or 1 gives a large
    but finite loss instead of inf.
    """
    y = _column(y, p)
    log_p = np.maximum(np.log(p), -100.0)
    log_1mp = np.maximum(np.log1p(-p), -100.0)
    return float(-np.mean(y * log_p + (1.0 - y) * log_1mp))


def bce_grad(p: Array, y: Array) -> Array:
    """dL/dp for the mean BCE on probabilities: (p - y) / (p (1 - p)) / N."""
    y = _column(y, p)
    return (p - y) / (p * (1.0 - p)) / p.shape[0]


def softmax(z: Array) -> Array:
    """Row-wise softmax, shifted by the row's maximum so exp never overflows."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot(y: Array, like: Array) -> Array:
    onehot = np.zeros_like(like)
    onehot[np.arange(like.shape[0]), np.asarray(y, dtype=int).reshape(-1)] = 1.0
    return onehot


def softmax_cross_entropy(z: Array, y: Array) -> float:
    """Mean cross-entropy of class indices y under softmax(z), z of shape (N, C), like torch's CrossEntropyLoss.

    -log softmax(z)[y] = logsumexp(z) - z[y], computed with the row maximum taken out first.
    """
    m = z.max(axis=1, keepdims=True)
    logsumexp = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(logsumexp - z[np.arange(z.shape[0]), np.asarray(y, dtype=int).reshape(-1)]))


def softmax_cross_entropy_grad(z: Array, y: Array) -> Array:
    """dL/dz = (softmax(z) - onehot(y)) / N: the multi-class twin of sigmoid(z) - y."""
    return (softmax(z) - _one_hot(y, z)) / z.shape[0]


def mse(z: Array, y: Array) -> float:
    """Mean squared error of the outputs z (N, 1) against targets y, like torch's MSELoss."""
    return float(np.mean((z - _column(y, z)) ** 2))


def mse_grad(z: Array, y: Array) -> Array:
    """dL/dz = 2 (z - y) / N."""
    return 2.0 * (z - _column(y, z)) / z.shape[0]


# The losses on the network's raw output: name -> (loss, dLoss/doutput).
OUTPUT_LOSSES = {
    "bce": (bce_with_logits, bce_with_logits_grad),
    "softmax_ce": (softmax_cross_entropy, softmax_cross_entropy_grad),
    "mse": (mse, mse_grad),
}
