"""How often a callback acts on a run: its configured interval, stretched so a long run pays for a bounded count.

XOR's 200 steps log every 5th step; a run of 10 000 steps at the same
interval would log 2000 times, and on a real model the telemetry would cost
more than the training. A callback with `max_points` logs at most that many
times a run: every max(interval, ceil(total / max_points)) steps or epochs.
"""

import math

import lightning as L


def stretched(interval: int, total: float, max_points: int | None) -> int:
    """The interval that gives at most `max_points` points over `total` steps (or epochs); at least `interval`."""
    if not max_points or not math.isfinite(total) or total <= 0:
        return interval
    return max(interval, math.ceil(total / max_points))


def steps_between(trainer: L.Trainer, every_n_steps: int, max_points: int | None) -> int:
    """The step interval for this fit: `every_n_steps`, or longer so the run logs at most `max_points` times."""
    return stretched(every_n_steps, float(trainer.estimated_stepping_batches), max_points)


def epochs_between(trainer: L.Trainer, every_n_epochs: int, max_points: int | None) -> int:
    """The epoch interval for this fit: `every_n_epochs`, or longer so the run acts at most `max_points` times."""
    epochs = trainer.max_epochs if trainer.max_epochs is not None and trainer.max_epochs > 0 else math.inf
    return stretched(every_n_epochs, float(epochs), max_points)
