"""Binary cross-entropy, on logits and on probabilities, with the gradient each one sends back.

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
