"""SIGTERM in every stage of a run: the run ends `interrupted`, exit 143, and nothing already written is lost.

Inside fit and test, Lightning's handler only sets `trainer.received_sigterm`
and its loops stop between batches (a real signal in the middle of training:
tests/test_resume.py). Everywhere else `errors.raise_on_sigterm` makes the
signal raise where the program is. Here the signal is raised in this process
at one chosen point of a stage, through the scripts' own entry points; the
one fresh process is test_exit_codes.py's (start-up, SIGINT and SIGTERM).
"""

import contextlib
import signal
from pathlib import Path

import pytest

from backprop_lab.callbacks import landscape_math
from backprop_lab.data import tabular
from backprop_lab.errors import Terminated, raise_on_sigterm
from backprop_lab.models.classifier import TaskModel

from helpers import EVAL_SCRIPT, QUIET, TRAIN_SCRIPT, fake_run, read_metrics, run_in_process


def sigterm_first(function):
    """`function`, sending this process SIGTERM before it does anything (a signal that lands in that stage)."""

    def signalled(*args, **kwargs):
        signal.raise_signal(signal.SIGTERM)
        return function(*args, **kwargs)

    return signalled


def test_sigterm_raises_where_the_program_is_once_then_the_handler_before_is_back():
    before = signal.getsignal(signal.SIGTERM)
    with raise_on_sigterm():
        ours = signal.getsignal(signal.SIGTERM)
        seen = []
        # Lightning's handler during fit: it sets its flag, then calls the handler it found, which leaves it at that.
        signal.signal(signal.SIGTERM, lambda signum, frame: (seen.append(signum), ours(signum, frame)))
        signal.raise_signal(signal.SIGTERM)
        assert seen == [signal.SIGTERM]
        signal.signal(signal.SIGTERM, ours)
        with pytest.raises(Terminated):
            signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)  # a second one does not cut the shutdown short
    assert signal.getsignal(signal.SIGTERM) == before


def test_ctrl_c_inside_lightnings_loops_stops_them_as_sigterm_does_and_a_second_raises():
    """A KeyboardInterrupt raised just after a lock was taken leaves it taken (TensorBoard's writer then hung at
    the run's end): inside the loops the first Ctrl-C goes to Lightning's SIGTERM handler, which sets its flag."""
    from backprop_lab.errors import ctrl_c_stopped_the_loops

    with raise_on_sigterm():
        flagged = []
        signal.signal(signal.SIGTERM, lambda signum, frame: flagged.append(signum))  # Lightning's, while fit runs
        signal.raise_signal(signal.SIGINT)
        assert flagged == [signal.SIGINT] and ctrl_c_stopped_the_loops()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # a second one does not wait for the next batch
        assert flagged == [signal.SIGINT]
    assert not ctrl_c_stopped_the_loops()


def interrupted(proc, run_dir: Path) -> dict:
    """The run's record, once it is checked that the run ended as interrupted by SIGTERM."""
    assert proc.returncode == 143, proc.stderr
    assert "Traceback" not in proc.stderr
    metrics = read_metrics(run_dir)
    assert metrics["status"] == "interrupted" and "SIGTERM" in metrics["error"], metrics
    return metrics


SIGNALS = {
    "sigterm": (signal.SIGTERM, Terminated, 143, "SIGTERM"),
    "ctrl-c": (signal.SIGINT, KeyboardInterrupt, 130, "Ctrl-C"),
}


@pytest.mark.parametrize("then", ["fails", "goes on"])
@pytest.mark.parametrize(("signum", "raised", "code", "name"), SIGNALS.values(), ids=SIGNALS.keys())
def test_a_signal_that_an_import_swallowed_still_ends_the_run_interrupted(
    then, signum, raised, code, name, tmp_path, monkeypatch
):
    """torch's C code imports NumPy and swallows what the import raised (our `Terminated`, or `KeyboardInterrupt`):
    the import of torch then fails on NumPy ('cannot load module more than once', a RecursionError), or goes on as
    if no signal had come (CI saw both failures: a traceback and exit 1 instead of 143 or 130)."""
    import backprop_lab.train

    real_train = backprop_lab.train.train

    def importing_swallows_the_signal(cfg):
        with contextlib.suppress(raised):  # what a C extension's import does with an exception it meets
            signal.raise_signal(signum)
        if then == "fails":
            raise ImportError("cannot load module more than once per process")
        return real_train(cfg)

    # scripts/train.py imports this name when its task starts
    monkeypatch.setattr(backprop_lab.train, "train", importing_swallows_the_signal)
    run_dir = tmp_path / "run"
    proc = run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}")
    assert proc.returncode == code and "Traceback" not in proc.stderr, proc.stderr
    record = read_metrics(run_dir)
    assert record["status"] == "interrupted" and f"{name}" in record["error"] and "while starting up" in record["error"]
    assert not (run_dir / "checkpoints").exists()  # stopped before it trained


def test_sigterm_while_the_csv_is_read_ends_the_run_interrupted(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 3},{i / 7:.3f},{i % 2}\n" for i in range(30)))
    monkeypatch.setattr(tabular, "read_table", sigterm_first(tabular.read_table))
    run_dir = tmp_path / "run"
    args = ["data=csv", f"data.path={path}", "data.target=label"]
    proc = run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}", *args)
    assert interrupted(proc, run_dir)["global_step"] == 0


def test_sigterm_during_the_final_landscape_stops_it_and_the_run_before_its_test(tmp_path, monkeypatch):
    monkeypatch.setattr(landscape_math, "chunked_losses", sigterm_first(landscape_math.chunked_losses))
    run_dir = tmp_path / "run"
    proc = run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}", "trainer.max_epochs=2")
    metrics = interrupted(proc, run_dir)
    assert metrics["epochs"] == 2 and (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not (run_dir / "landscape").exists()
    assert not any(name.startswith("test/") for name in metrics["metrics"])


def test_sigterm_during_eval_is_recorded_as_interrupted(tmp_path, monkeypatch):
    ckpt = fake_run(tmp_path / "run")
    # XOR's test split is one batch, the last: Lightning's loop does not look at its flag after it.
    monkeypatch.setattr(TaskModel, "test_step", sigterm_first(TaskModel.test_step))
    eval_dir = tmp_path / "eval"
    proc = run_in_process(EVAL_SCRIPT, f"ckpt_path={ckpt}", f"hydra.run.dir={eval_dir}", "logger=none")
    assert str(ckpt) in interrupted(proc, eval_dir)["error"]
