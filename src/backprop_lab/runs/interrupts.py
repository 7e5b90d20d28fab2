"""Telling an interrupted run (Ctrl-C, SIGTERM) from a failed one, and how it exits.

Lightning 2.6 already turns both signals into a clean stop inside fit and
test (`trainer/call.py`, `trainer/connectors/signal_connector.py`): on Ctrl-C
it runs the callbacks' `on_exception` hooks and raises `SystemExit(1)` from
the `KeyboardInterrupt`; on SIGTERM its handler only sets
`trainer.received_sigterm`, and the loops raise `SIGTERMException` (a
`SystemExit` with no code, which would exit with status 0) once the current
batch is done. Neither writes a checkpoint of a half-finished step, so the
newest `last.ckpt` is always the last completed epoch. Outside those loops
(start-up, reading the data, the end of fit) SIGTERM raises `Terminated`
(`errors.raise_on_sigterm`). What is left to us is a SIGTERM that came after
the loops' last look at the flag, recording the run as interrupted, and
exiting with the shell's status for the signal (130 for SIGINT, 143 for SIGTERM).
"""

import lightning as L
from lightning.pytorch.utilities.exceptions import SIGTERMException

from backprop_lab.errors import SIGINT_EXIT, SIGTERM_EXIT, Terminated, ctrl_c_stopped_the_loops


def stop_if_terminated(trainer: L.Trainer) -> None:
    """Raise `SIGTERMException` if SIGTERM came during fit or test: Lightning's handler only sets
    `trainer.received_sigterm`, and its loops look at it between batches. Long work outside them (the lab's
    pictures between their chunks, the task after fit and after test) looks at it here."""
    if trainer.received_sigterm:
        raise SIGTERMException


def signal_name(exit_code: int) -> str:
    """How messages name the signal behind an interruption's exit status."""
    return "Ctrl-C (SIGINT)" if exit_code == SIGINT_EXIT else "SIGTERM"


def interruption_exit_code(err: BaseException) -> int | None:
    """The exit status for an interruption, or None if `err` is not one."""
    if isinstance(err, SIGTERMException) and ctrl_c_stopped_the_loops():
        return SIGINT_EXIT  # a Ctrl-C inside Lightning's loops stops them as SIGTERM does (errors.py)
    if isinstance(err, (SIGTERMException, Terminated)):
        return SIGTERM_EXIT
    if isinstance(err, KeyboardInterrupt):
        return SIGINT_EXIT
    # Lightning catches Ctrl-C and calls sys.exit(1) inside its `except KeyboardInterrupt` block.
    if isinstance(err, SystemExit) and isinstance(err.__context__, KeyboardInterrupt):
        return SIGINT_EXIT
    return None


def describe(exit_code: int, resume_command: str | None) -> str:
    hint = f" Resume with: {resume_command}" if resume_command else ""
    return f"Interrupted by {signal_name(exit_code)}; the checkpoints of the last completed epoch are kept.{hint}"
