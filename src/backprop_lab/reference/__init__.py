"""NumPy-only reference for backpropagation and optimizer updates.

Everything torch does for the template's model is written out here by hand, so
a test can check torch against it and a student can read every step.
This package must never import torch.
"""

from .activations import (
    ACTIVATIONS,
    get_activation,
    identity,
    identity_prime,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_derivative_from_output,
    sigmoid_prime,
    tanh,
    tanh_prime,
)
from .losses import (
    OUTPUT_LOSSES,
    bce,
    bce_grad,
    bce_with_logits,
    bce_with_logits_grad,
    mse,
    mse_grad,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
)
from .mlp import (
    Backward,
    Forward,
    Params,
    backward,
    copy_params,
    flatten,
    forward,
    init_params,
    loss_and_grads,
    output_delta,
    predict_proba,
)
from .optimizers import OPTIMIZERS, SGD, Adam, AdamW, Optimizer, RMSprop, from_target
from .trainer import TrainResult, accuracy, train, xor_data

__all__ = [
    "ACTIVATIONS",
    "OUTPUT_LOSSES",
    "mse",
    "mse_grad",
    "softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "Backward",
    "Forward",
    "Optimizer",
    "Params",
    "RMSprop",
    "TrainResult",
    "accuracy",
    "backward",
    "bce",
    "bce_grad",
    "bce_with_logits",
    "bce_with_logits_grad",
    "copy_params",
    "flatten",
    "forward",
    "from_target",
    "get_activation",
    "identity",
    "identity_prime",
    "init_params",
    "loss_and_grads",
    "output_delta",
    "predict_proba",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_derivative_from_output",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "train",
    "xor_data",
]
