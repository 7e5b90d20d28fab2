"""backprop-lab: a Lightning + Hydra template that makes backprop's parameter updates visible."""

from importlib.metadata import PackageNotFoundError, version

from backprop_lab.runs.name import register_resolver

try:
    __version__ = version("backprop-lab")  # pyproject.toml's version: the one place it is written
except PackageNotFoundError:  # imported from a source tree that was never installed (`pip install -e .`)
    __version__ = "0+unknown"

register_resolver()  # `${run_name:}` in configs/logger/tensorboard.yaml: wherever the package is used
