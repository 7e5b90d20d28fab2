"""What the argparse scripts share: numbers checked as they are parsed, and Hydra overrides composed with a
one-paragraph error, as `scripts/train.py` (a Hydra app) reports them.

Hydra's own entry points print a composition error (an unknown key, group or
option, a malformed override) as its message alone; a script that composes
through Hydra's compose API got the raw exception and its traceback instead.
"""

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig

from backprop_lab.errors import ConfigError


def whole_number(low: int, example: int) -> Callable[[str], int]:
    """An argparse `type`: a whole number >= `low`; argparse prints the refusal, names the option and exits 2."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number: give one >= {low}, e.g. {example}"
            ) from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{value} is not allowed: give a whole number >= {low}, e.g. {example}")
        return value

    return parse


def positive_number(example: float) -> Callable[[str], float]:
    """An argparse `type`: a finite number above 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: give a finite number above 0, e.g. {example}")
        return value

    return parse


def compose_overrides(config_dir: Path, config_name: str, overrides: list[str]) -> DictConfig:
    """`config_name` composed with the command line's overrides; what Hydra refuses becomes a `ConfigError`."""
    from hydra import compose, initialize_config_dir  # here: the number types above serve NumPy-only scripts too
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
            return compose(config_name=config_name, overrides=overrides)
    except (HydraException, OmegaConfBaseException) as err:
        message = str(err).split("\nConfig search path:")[0].strip()  # Hydra's apps leave the search path out too
        raise ConfigError(
            f"Invalid overrides, nothing was run: {message}\n"
            "The overrides are those of scripts/train.py: `python scripts/train.py --help` lists every group and "
            "option, `python scripts/train.py <overrides> --cfg job` shows what they compose to."
        ) from None
