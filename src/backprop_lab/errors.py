"""Errors a user can fix: shown as one paragraph, without a traceback, with a non-zero exit code.

The entry points in `scripts/` catch `UserError` and print its message; any
other exception is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem in the input (config, checkpoint, run folder) or the run; the message names it and the fix."""


class CheckpointError(UserError):
    """A checkpoint that is missing, unreadable, unsafe to load or made for another model."""


class TrainingDiverged(UserError, RuntimeError):
    """The loss became NaN or infinite; training stopped before the bad step changed any weight."""
