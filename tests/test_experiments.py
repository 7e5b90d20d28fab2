"""Ready experiments and debug modes, run through scripts/train.py's Hydra entry point as a user would."""

import pytest

from backprop_lab.runs.name import tensorboard_dir
from backprop_lab.train import train

from helpers import CONFIGS, QUIET, compose_train, read_metrics

EXPERIMENTS = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))


def test_every_experiment_runs_and_fdr_keeps_logger_and_checkpoints(tmp_path):
    """What `-m experiment=glob(*) debug=fdr` runs: the train task on each composed config, one at a time."""
    ran = {}
    for name in EXPERIMENTS:
        ran[name] = job = tmp_path / name
        train(compose_train(f"experiment={name}", "debug=fdr", *QUIET, output_dir=job))
    for name, job in ran.items():
        summary = read_metrics(job)
        assert summary["status"] == "success", name
        assert summary["epochs"] == 1 and summary["global_step"] == 1, name  # one batch, one epoch
        assert list(tensorboard_dir(job).glob("events.out.tfevents.*")), name
        assert (job / "checkpoints" / "last.ckpt").is_file(), name


def test_profiler_report_lands_in_the_run_folder(train_run):
    proc, run_dir = train_run("debug=profiler", "trainer.max_epochs=2")
    assert proc.returncode == 0, proc.stderr
    report = (run_dir / "fit-profiler.txt").read_text()
    assert "Profiler Report" in report and "run_training_epoch" in report
    assert list(tensorboard_dir(run_dir).glob("events.out.tfevents.*"))


@pytest.mark.slow
def test_breast_cancer_experiment_reaches_95_percent_test_accuracy(train_run):
    proc, run_dir = train_run("experiment=breast_cancer")
    assert proc.returncode == 0, proc.stderr
    metrics = read_metrics(run_dir)["metrics"]
    assert metrics["test/acc"] >= 0.95
