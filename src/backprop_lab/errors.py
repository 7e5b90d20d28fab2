"""Every error class of the project, and how the entry points report the ones a user can fix.

A `UserError` (or a subclass) is shown as one paragraph, without a
traceback, with exit code 2: the Hydra entry points run their task through
`run_reporting_user_errors`, the argparse ones wrap `main` in
`reports_user_errors`. Any other exception is a bug and keeps its traceback.
SIGTERM raises `Terminated` from the start (`run_main`), so a run stopped
before or after Lightning's loops (which only set a flag) is recorded too.
(`failed_sweep.FailedSweepJob` is Hydra's way to report a failed sweep job,
not an error of its own, so it lives with the sweep's job table.)
"""

import contextlib
import functools
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, ParamSpec, TypeVar

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

T = TypeVar("T")
P = ParamSpec("P")
SIGINT_EXIT = 130  # the shell's status for a process ended by Ctrl-C
SIGTERM_EXIT = 143  # and by SIGTERM
SCHEMA_MATCHED = r"\s*'hydra/launcher/\w+' is validated against ConfigStore schema with the same name"


class UserError(Exception):
    """A problem in the input (config, checkpoint, run folder) or the run; the message names it and the fix."""


class CheckpointError(UserError):
    """A checkpoint that is missing, unreadable, unsafe to load or made for another model."""


class MissingPackage(UserError, ModuleNotFoundError):
    """A chosen logger or callback needs an optional package that is not installed."""


class TrainingDiverged(UserError, RuntimeError):
    """The loss became NaN or infinite; training stopped before the bad step changed any weight."""


class ConfigError(UserError, ValueError):
    """A config value that cannot work; the message names the field and what is allowed."""


class DataError(ConfigError):
    """Bad data input (a bad file, labels that do not fit the task, a missing package); the message names the fix.

    A `ConfigError`, so `scripts/train.py` reports it the same way: one
    paragraph, exit code 2, and the run's `metrics.json` marked failed.
    Raised from a data module's `setup()` (not `__init__`), where Hydra would wrap it.
    """


class IncompatibleData(ConfigError):
    """A network that cannot take the data's rows (a conv net on flat rows, say): this pair cannot train."""


class StoreUnavailable(UserError):
    """A logger's store (MLflow's database or server) cannot be written or reached."""


class FolderInUse(UserError):
    """Another live run holds the run folder."""


class WriteFailed(UserError):
    """A file of the run could not be written (disk full, quota, read-only or unwritable folder)."""


class RunFolderError(UserError):
    """A run or sweep folder that does not hold what was asked of it (no jobs, no images at those steps)."""


class NoTaggedRuns(RunFolderError):
    """No job of the folder carries every tag asked for."""


class RunInterrupted(Exception):
    """What `metrics.json` records as the error of an interrupted run (Ctrl-C, SIGTERM): not a failure."""


class JobLost(Exception):
    """A sweep job that ended without a result (killed, cancelled): its launcher reports it with the sweep's table."""


class Terminated(BaseException):
    """SIGTERM outside Lightning's loops (start-up, reading the data, a callback at fit's end, writing outputs).

    A `BaseException`, as `KeyboardInterrupt` is, so no `except Exception` on its way swallows it.
    """


# The interruption a signal raised before the task started (its imports), if any. A C extension importing another
# (torch importing NumPy) may swallow what it met, and the import then fails later with an unrelated error
# (ImportError, RecursionError) or not at all: the task still learns of it here (`stop_if_interrupted_at_start`).
_raised_at_start: list[BaseException] = []
_task_started = threading.Event()


def _remembered(err: BaseException) -> BaseException:
    if not _task_started.is_set():
        _raised_at_start.append(err)
    return err


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    if signal.getsignal(signal.SIGTERM) is not _raise_terminated:
        # Lightning's handler (in place while fit or test runs) set `trainer.received_sigterm` and called this one
        # after it: its loops stop the run at the next batch.
        return
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: the shutdown that follows is not cut short
    raise _remembered(Terminated("SIGTERM"))


# Set when a Ctrl-C inside Lightning's loops was handed to Lightning's SIGTERM handler (`_raise_keyboard_interrupt`).
_ctrl_c_in_loops = threading.Event()


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    """Python's own Ctrl-C (`KeyboardInterrupt`), remembered before the task starts as SIGTERM's is.

    Inside Lightning's loops (its SIGTERM handler in place) the first Ctrl-C
    goes to that handler instead, so the run stops at the next batch as it
    does for SIGTERM: a `KeyboardInterrupt` raised just after a lock was taken
    leaves it taken (https://bugs.python.org/issue29988), and TensorBoard's
    writer then waited forever when the run closed it. A second Ctrl-C raises
    at once.
    """
    lightning = signal.getsignal(signal.SIGTERM)
    if callable(lightning) and lightning is not _raise_terminated and not _ctrl_c_in_loops.is_set():
        _ctrl_c_in_loops.set()
        lightning(signum, frame)
        return
    raise _remembered(KeyboardInterrupt())


def ctrl_c_stopped_the_loops() -> bool:
    """Whether Lightning's loops stopped for a Ctrl-C (its SIGTERM flag set by `_raise_keyboard_interrupt`)."""
    return _ctrl_c_in_loops.is_set()


def _interruption_at_start() -> BaseException | None:
    """A fresh copy of the first interruption raised before the task started, if any."""
    if not _raised_at_start:
        return None
    first = _raised_at_start[0]
    return type(first)(*first.args)


def stop_if_interrupted_at_start() -> None:
    """Raise again a Ctrl-C or SIGTERM that came before this point and was swallowed; from here the task's own
    handling applies. Each task calls it once its imports are done."""
    interruption = _interruption_at_start()
    if interruption is not None:
        raise interruption
    _task_started.set()


@contextlib.contextmanager
def _signal_goes_to(signum: int, handler: Callable[[int, FrameType | None], None] | signal.Handlers) -> Iterator[None]:
    """`signum` goes to `handler` inside the block, to the one before it afterwards (main thread only, as signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, previous)


@contextlib.contextmanager
def raise_on_sigterm() -> Iterator[None]:
    """SIGTERM raises `Terminated` where the program is, instead of ending it with its record still `running`; both
    it and Ctrl-C are remembered until the task starts (`stop_if_interrupted_at_start`)."""
    _raised_at_start.clear()  # a program (or a test) running several entry points in turn starts each afresh
    _task_started.clear()
    _ctrl_c_in_loops.clear()
    try:
        with (
            _signal_goes_to(signal.SIGTERM, _raise_terminated),
            _signal_goes_to(signal.SIGINT, _raise_keyboard_interrupt),
        ):
            yield
    finally:
        _raised_at_start.clear()
        _task_started.clear()
        _ctrl_c_in_loops.clear()


def ignore_sigterm() -> contextlib.AbstractContextManager[None]:
    """SIGTERM is ignored while a run writes its final record: that takes milliseconds, and half of it helps no one."""
    return _signal_goes_to(signal.SIGTERM, signal.SIG_IGN)


def run_reporting_user_errors(
    task: Callable[[DictConfig], T], cfg: DictConfig, check: Callable[[DictConfig], None] | None = None
) -> T:
    """Run an entry point's task; a `UserError` becomes its one paragraph on stderr and exit code 2.

    The scripts' tasks import torch and Lightning when they are called, so
    `check` (free of torch) runs first: a bad value is refused in about a
    second instead of after those imports, and the run folder records the
    failure as the task would have.
    Ctrl-C or SIGTERM before the task's own handling (start-up) exits with 130
    or 143, records the run as interrupted when it has a run folder, and prints one line. In
    a Hydra multirun a `UserError` is raised on as `FailedSweepJob`, so Hydra
    records that job as failed, goes on with the next, and ends the sweep
    with a table of every job (see runs/failed_sweep.py and docs/sweeps.md, "Failed jobs").
    """
    try:
        if check is not None:
            _checked(check, cfg)
        try:
            return task(cfg)
        except Exception as err:
            interruption = _interruption_at_start()  # an import failed as Ctrl-C or SIGTERM raised inside it
            if interruption is not None:
                raise interruption from err
            raise
    except UserError as err:
        _print(err)
        if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
            from backprop_lab.runs.failed_sweep import FailedSweepJob

            raise FailedSweepJob(err, HydraConfig.get().sweep.dir) from err
        sys.exit(2)
    except (KeyboardInterrupt, Terminated) as err:
        name, code = _signal_of(err)
        message = f"{name} while starting up: nothing was run"
        _record_start(cfg, type(err)(message))
        print(f"Interrupted by {message}.", file=sys.stderr)
        sys.exit(code)


def _signal_of(err: BaseException) -> tuple[str, int]:
    """How messages name the signal behind a `KeyboardInterrupt` or a `Terminated`, and the exit status for it."""
    return ("SIGTERM", SIGTERM_EXIT) if isinstance(err, Terminated) else ("Ctrl-C (SIGINT)", SIGINT_EXIT)


def _print(err: UserError) -> None:
    print(f"error: {err}", file=sys.stderr)


def reports_user_errors(main: Callable[P, int | None]) -> Callable[P, int]:
    """Wrap an argparse script's `main`: a `UserError` is printed as its paragraph and `main` returns 2."""

    @functools.wraps(main)
    def reporting(*args: P.args, **kwargs: P.kwargs) -> int:
        try:
            return main(*args, **kwargs) or 0
        except UserError as err:
            _print(err)
            return 2

    return reporting


def _checked(check: Callable[[DictConfig], None], cfg: DictConfig) -> None:
    try:
        check(cfg)
    except UserError as err:
        _record_start(cfg, err)
        raise


def _record_start(cfg: DictConfig, err: BaseException) -> None:
    """Record a run that ended before its task started (interrupted by Ctrl-C, or failed), when it has a folder."""
    from backprop_lab.runs.summary import FAILED, INTERRUPTED, RunSummary  # stdlib only: cheap even now

    output_dir = OmegaConf.select(cfg, "paths.output_dir", default=None)
    if output_dir:
        summary = RunSummary()
        summary.finish(INTERRUPTED if isinstance(err, (KeyboardInterrupt, Terminated)) else FAILED, err)
        summary.save(Path(output_dir))


def run_main(main: Callable[[], Any]) -> None:
    """Call a script's Hydra `main`; Ctrl-C or SIGTERM while Hydra composes the config exits 130 or 143, in one line.

    From here on SIGTERM raises `Terminated` (see `raise_on_sigterm`).

    `configs/hydra/launcher/joblib.yaml` and `submitit_local.yaml` share their names with the schemas the
    launcher plugins register, so Hydra validates them against those (wanted: a wrong type is refused) and
    warns, twice, about a Hydra 1.1 deprecation that no user of this project can act on: that warning is off.
    """
    try:
        with warnings.catch_warnings(), raise_on_sigterm():
            warnings.filterwarnings("ignore", SCHEMA_MATCHED, UserWarning)
            main()
    except (KeyboardInterrupt, Terminated) as err:
        name, code = _signal_of(err)
        print(f"Interrupted by {name} before the run started: nothing was run.", file=sys.stderr)
        sys.exit(code)
