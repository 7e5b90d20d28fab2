"""backprop-lab: a Lightning + Hydra template that makes backprop's parameter updates visible."""

__version__ = "0.1.0"

from backprop_lab.run_name import register_resolver

register_resolver()  # `${run_name:}` in configs/logger/tensorboard.yaml: wherever the package is used
