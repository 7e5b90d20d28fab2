"""Telling an interrupted run (Ctrl-C, SIGTERM) from a failed one, and how it exits.

Lightning 2.6 already turns both signals into a clean stop (`trainer/call.py`,
`trainer/connectors/signal_connector.py`): on Ctrl-C it runs the callbacks'
`on_exception` hooks and raises `SystemExit(1)` from the `KeyboardInterrupt`;
on SIGTERM its handler only sets a flag, and the loop raises `SIGTERMException`
(a `SystemExit` with no code, which would exit with status 0) once the current
step is done. Neither writes a checkpoint of a half-finished step, so the
newest `last.ckpt` is always the last completed epoch. What is left to us is
recording the run as interrupted and exiting with the shell's status for the
signal (130 for SIGINT, 143 for SIGTERM).
"""

from lightning.pytorch.utilities.exceptions import SIGTERMException

from backprop_lab.errors import SIGINT_EXIT

SIGTERM_EXIT = 143


def interruption_exit_code(err: BaseException) -> int | None:
    """The exit status for an interruption, or None if `err` is not one."""
    if isinstance(err, SIGTERMException):
        return SIGTERM_EXIT
    if isinstance(err, KeyboardInterrupt):
        return SIGINT_EXIT
    # Lightning catches Ctrl-C and calls sys.exit(1) inside its `except KeyboardInterrupt` block.
    if isinstance(err, SystemExit) and isinstance(err.__context__, KeyboardInterrupt):
        return SIGINT_EXIT
    return None


def describe(exit_code: int, resume_command: str | None) -> str:
    signal_name = "Ctrl-C (SIGINT)" if exit_code == SIGINT_EXIT else "SIGTERM"
    hint = f" Resume with: {resume_command}" if resume_command else ""
    return f"Interrupted by {signal_name}; the checkpoints of the last completed epoch are kept.{hint}"
