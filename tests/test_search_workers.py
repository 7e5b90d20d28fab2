"""One Optuna study, many workers: batches of trials, a study shared by two processes, a worker killed mid-trial."""

import os
import socket
import subprocess
import sys
import time

import optuna
import pytest
from omegaconf import OmegaConf

from backprop_lab.tuning.search import job_folder

from helpers import TRAIN_SCRIPT, TRAINING_ONLY, read_metrics, run_in_process, start_script

SEARCH = ["-m", "hparams_search=xor_optuna", "trainer.max_epochs=3", *TRAINING_ONLY]  # numbers, no pictures
WORKER = "worker"  # the user attr naming the process that asked a trial (backprop_lab/tuning/study.py)


def storage_of(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'shared.db'}"


def search_args(tmp_path, n_trials: int, *overrides: str) -> list[str]:
    storage = f"hydra.sweeper.storage={storage_of(tmp_path)}"
    return [*SEARCH, f"hydra.sweeper.n_trials={n_trials}", storage, f"hydra.sweep.dir={tmp_path}", *overrides]


def load(tmp_path) -> optuna.Study:
    return optuna.load_study(study_name="search", storage=storage_of(tmp_path))


def started(sweep_dir, trial: int) -> bool:
    """Whether the trial's job has begun its record (its folder: `trial=000,<its values>`)."""
    return any(sweep_dir.glob(f"trial={trial:03d},*/metrics.json"))


def wait_for(proc, ready, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"not ready within {timeout} s"
        time.sleep(0.01)


@pytest.mark.slow
def test_two_workers_share_one_study_count_each_others_trials_and_write_the_best_of_all(tmp_path):
    first = start_script(TRAIN_SCRIPT, *search_args(tmp_path, 4))
    try:
        wait_for(first, lambda: started(tmp_path, 0))  # the second joins a study whose first trial is running
        second = run_in_process(TRAIN_SCRIPT, *search_args(tmp_path, 4))
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0 and second.returncode == 0, err + second.stderr

    study = load(tmp_path)
    # A trial asked when both workers counted at the same moment is one too many: pruned, never run.
    ran = [t for t in study.trials if t.state != optuna.trial.TrialState.PRUNED]
    assert [t.number for t in ran] == list(range(4))  # n_trials counts both workers' trials
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in ran)
    workers = {t.user_attrs[WORKER]["pid"] for t in ran}
    assert len(workers) == 2, workers  # both took trials, and none twice: one job folder per trial number
    assert not list(tmp_path.glob("trial=004,*"))
    for trial in ran:
        assert trial.value == pytest.approx(read_metrics(tmp_path / job_folder(trial))["metrics"]["val/loss"])
    best = OmegaConf.load(tmp_path / "best_trial.yaml")  # the worker that ended last wrote it: all trials
    assert best.best_trial == study.best_trial.number and dict(best.trials) == {"complete": 4, "fail": 0}


@pytest.mark.slow
def test_a_killed_workers_trial_is_marked_failed_by_the_next_and_the_batch_runs_as_one(tmp_path):
    # A worker on this host asked trial 0 and was killed outright (kill -9): the trial is left RUNNING.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    study = optuna.create_study(storage=storage_of(tmp_path), study_name="search", direction="minimize")
    study.ask().set_user_attr(WORKER, {"host": socket.gethostname(), "pid": int(gone.stdout)})

    # The next worker asks two trials at a time and runs them as one batch through the launcher.
    proc = run_in_process(TRAIN_SCRIPT, *search_args(tmp_path, 2, "hydra.sweeper.n_jobs=2"))
    assert proc.returncode == 0, proc.stderr
    study = load(tmp_path)
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE", "COMPLETE"]  # kept, not lost nor counted
    log = proc.stdout + proc.stderr
    assert "Trial 0 was cut off with its worker" in log
    assert "#1 : " in log and "#2 : " in log  # one launch of jobs 1 and 2
    best = OmegaConf.load(tmp_path / "best_trial.yaml")
    assert dict(best.trials) == {"complete": 2, "fail": 1} and best.best_trial in (1, 2)


def test_of_two_trials_asked_at_the_same_moment_for_the_last_place_the_later_is_one_too_many(tmp_path):
    from backprop_lab.tuning.study import RAN, beyond_n_trials

    study = optuna.create_study(storage=storage_of(tmp_path), study_name="search", direction="minimize")
    done = study.ask()
    done.set_user_attr(RAN, True)
    study.tell(done, 0.5)
    cut_off = study.ask()  # interrupted: failed and not counted, so the place is free again
    study.tell(cut_off, state=optuna.trial.TrialState.FAIL)
    first, second = study.ask(), study.ask()  # two workers, each counted 1 of n_trials=2 done or running
    assert not beyond_n_trials(study, first, 2) and beyond_n_trials(study, second, 2)


def test_a_live_workers_running_trial_is_left_to_it_and_counted(tmp_path):
    """Another worker's trial in progress is neither failed nor run again: n_trials counts it."""
    study = optuna.create_study(storage=storage_of(tmp_path), study_name="search", direction="minimize")
    study.ask().set_user_attr(WORKER, {"host": socket.gethostname(), "pid": os.getpid()})  # alive: this process
    proc = run_in_process(TRAIN_SCRIPT, *search_args(tmp_path, 1))
    assert proc.returncode == 0, proc.stderr
    assert [t.state.name for t in load(tmp_path).trials] == ["RUNNING"]
    assert "1 of 1 trials done or running" in proc.stdout and "still running in other workers" in proc.stdout


def test_a_storage_that_cannot_hold_the_study_is_refused_in_one_paragraph(tmp_path):
    bad = f"hydra.sweeper.storage=sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"
    proc = run_in_process(TRAIN_SCRIPT, *SEARCH, bad, f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("error: hydra.sweeper.storage=") and "nothing was run" in message
    assert not list((tmp_path / "sweep").glob("*/.hydra"))  # no trial ran


def test_a_batch_size_below_one_is_refused_naming_the_field(tmp_path):
    proc = run_in_process(TRAIN_SCRIPT, *SEARCH, "hydra.sweeper.n_jobs=0", f"hydra.sweep.dir={tmp_path}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: hydra.sweeper.n_jobs=0 is not allowed")


def test_a_storage_whose_database_driver_is_not_installed_names_the_package(tmp_path, monkeypatch):
    for driver in ("psycopg", "psycopg2"):  # SQLAlchemy's PostgreSQL drivers, as if not installed
        monkeypatch.setitem(sys.modules, driver, None)
    storage = "hydra.sweeper.storage=postgresql://user:secret@localhost/studies"
    proc = run_in_process(TRAIN_SCRIPT, *SEARCH, storage, f"hydra.sweep.dir={tmp_path}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert "needs the Python package 'psycopg'" in message and "pip install psycopg" in message
    assert "secret" not in proc.stdout + proc.stderr  # the password is never printed
