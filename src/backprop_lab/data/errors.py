"""The error a data module raises for input it cannot use (a bad file, a missing package)."""

from backprop_lab.checks import ConfigError


class DataError(ConfigError):
    """Bad data input; the message names the problem and the fix.

    A `ConfigError`, so `scripts/train.py` reports it the same way: one
    paragraph, exit code 2, and the run's `metrics.json` marked failed.
    Raised from `setup()` (not `__init__`), where Hydra would wrap it.
    """
