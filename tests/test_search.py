"""Optuna search through scripts/train.py -m hparams_search=...: study in SQLite, resume, failed trials, best trial."""

import optuna
import pytest
from omegaconf import OmegaConf

from backprop_lab.tuning.search import job_folder

from helpers import QUIET, TRAIN_SCRIPT, read_metrics, run_in_process


def search(sweep_dir, n_trials: int, *overrides: str):
    return run_in_process(
        TRAIN_SCRIPT,
        "-m",
        "hparams_search=xor_optuna",
        f"hydra.sweeper.n_trials={n_trials}",
        "trainer.max_epochs=3",
        f"hydra.sweep.dir={sweep_dir}",
        *QUIET,
        *overrides,
    )


def load_study(sweep_dir) -> optuna.Study:
    return optuna.load_study(study_name="search", storage=f"sqlite:///{sweep_dir / 'optuna.db'}")


@pytest.mark.slow
def test_search_resumes_from_its_study_marks_failed_trials_and_writes_the_best(tmp_path):
    proc = search(tmp_path, 3)
    assert proc.returncode == 0, proc.stderr
    study = load_study(tmp_path)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 3
    first_params = [t.params for t in study.trials]
    assert {"optimizer", "optimizer.lr", "model.net.hidden"} == set(first_params[0])

    # Resume in the same folder up to 5 trials; an activation the config rejects makes both new trials fail.
    proc = search(tmp_path, 5, "model.net.activation=swish")
    assert proc.returncode == 0, proc.stderr  # a best trial exists: failed trials do not fail the search
    study = load_study(tmp_path)
    assert [t.params for t in study.trials[:3]] == first_params  # the first three are kept, not rerun
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3 + ["FAIL"] * 2
    for trial in study.trials:  # job folder trial=00N,<values> is trial N, with the metric it reported
        metrics = read_metrics(tmp_path / job_folder(trial))
        if trial.state.name == "COMPLETE":
            assert trial.value == pytest.approx(metrics["metrics"]["val/loss"])
        else:
            assert metrics["status"] == "failed" and "model.net.activation" in metrics["error"]

    best = OmegaConf.load(tmp_path / "best_trial.yaml")
    assert best.metric == "val/loss" and dict(best.trials) == {"complete": 3, "fail": 2}
    assert best.best_value == pytest.approx(min(t.value for t in study.trials[:3]))
    assert best.best_trial == study.best_trial.number
    assert list(best.overrides) == [f"{k}={v}" for k, v in study.best_trial.params.items()]


def test_search_space_maps_hydra_sweeps_to_optuna_distributions():
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from backprop_lab.tuning.search import search_space

    parse = OverridesParser.create().parse_overrides
    space, fixed = search_space(
        parse(
            [
                "optimizer=sgd,adam",
                "optimizer.lr=tag(log, interval(0.001, 1))",
                "trainer.max_epochs=tag(int, interval(5, 50))",
                "model.net.hidden=choice([4],[8,8])",
                "seed=3",
            ]
        )
    )
    assert space["optimizer"].choices == ("sgd", "adam")
    assert space["optimizer.lr"].log and (space["optimizer.lr"].low, space["optimizer.lr"].high) == (0.001, 1.0)
    assert (space["trainer.max_epochs"].low, space["trainer.max_epochs"].high) == (5, 50)
    assert space["model.net.hidden"].choices == ("[4]", "[8,8]")  # lists travel as override strings
    assert fixed == ["seed=3"]
