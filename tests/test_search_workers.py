"""One Optuna study, many workers: batches of trials, a study shared by two processes, a worker killed mid-trial."""

import signal
import time

import optuna
import pytest
from omegaconf import OmegaConf

from helpers import QUIET, TRAIN_SCRIPT, read_metrics, run_in_process, signal_when, start_script

SEARCH = ["-m", "hparams_search=xor_optuna", "trainer.max_epochs=3", *QUIET]
WORKER = "worker"  # the user attr naming the process that asked a trial (backprop_lab/tuning/study.py)


def storage_of(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'shared.db'}"


def search_args(tmp_path, n_trials: int, *overrides: str) -> list[str]:
    storage = f"hydra.sweeper.storage={storage_of(tmp_path)}"
    return [*SEARCH, f"hydra.sweeper.n_trials={n_trials}", storage, f"hydra.sweep.dir={tmp_path}", *overrides]


def load(tmp_path) -> optuna.Study:
    return optuna.load_study(study_name="search", storage=storage_of(tmp_path))


def started(job_dir) -> bool:
    return (job_dir / "metrics.json").is_file()


def wait_for(proc, ready, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"not ready within {timeout} s"
        time.sleep(0.01)


@pytest.mark.slow
def test_two_workers_share_one_study_count_each_others_trials_and_write_the_best_of_all(tmp_path):
    first = start_script(TRAIN_SCRIPT, *search_args(tmp_path, 4, "trainer.max_epochs=15"))
    try:
        wait_for(first, lambda: started(tmp_path / "0"))  # the second joins a study whose first trial is running
        second = run_in_process(TRAIN_SCRIPT, *search_args(tmp_path, 4, "trainer.max_epochs=15"))
        out, err = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0 and second.returncode == 0, err + second.stderr

    study = load(tmp_path)
    assert [t.number for t in study.trials] == list(range(4))  # n_trials counts both workers' trials
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    workers = {t.user_attrs[WORKER]["pid"] for t in study.trials}
    assert len(workers) == 2, workers  # both took trials, and none twice: one job folder per trial number
    for trial in study.trials:
        assert trial.value == pytest.approx(read_metrics(tmp_path / str(trial.number))["metrics"]["val/loss"])
    best = OmegaConf.load(tmp_path / "best_trial.yaml")  # the worker that ended last wrote it: all trials
    assert best.best_trial == study.best_trial.number and dict(best.trials) == {"complete": 4, "fail": 0}


@pytest.mark.slow
def test_a_killed_workers_trial_is_marked_failed_by_the_next_and_the_batch_runs_as_one(tmp_path):
    worker = start_script(TRAIN_SCRIPT, *search_args(tmp_path, 2, "trainer.max_epochs=1000"))
    killed = signal_when(worker, lambda: started(tmp_path / "0"), signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert [t.state.name for t in load(tmp_path).trials] == ["RUNNING"]  # kill -9: it could not tell the study

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
