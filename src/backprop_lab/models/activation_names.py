"""The activations a config may name, each with its `torch.nn` class name.

Kept free of torch so the config checks (`config/checks.py`) can run, and
refuse a bad value, before the seconds it takes to import torch and Lightning.
`models/nets.py` turns the class names into classes; the NumPy reference in
`backprop_lab.reference` implements the same names.
"""

ACTIVATION_CLASSES: dict[str, str] = {
    "tanh": "Tanh",
    "relu": "ReLU",
    "sigmoid": "Sigmoid",
    "identity": "Identity",
    "leaky_relu": "LeakyReLU",
    "gelu": "GELU",
}
