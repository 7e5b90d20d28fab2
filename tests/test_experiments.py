"""Ready experiments and debug modes, run through scripts/train.py's Hydra entry point as a user would."""

import pytest
from omegaconf import OmegaConf

from backprop_lab.run_name import tensorboard_dir

from helpers import CONFIGS, QUIET, TRAIN_SCRIPT, read_metrics, run_in_process

EXPERIMENTS = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))


def test_glob_runs_every_experiment_and_fdr_keeps_logger_and_checkpoints(tmp_path):
    proc = run_in_process(TRAIN_SCRIPT, "-m", "experiment=glob(*)", "debug=fdr", f"hydra.sweep.dir={tmp_path}", *QUIET)
    assert proc.returncode == 0, proc.stderr
    ran = {}
    for job in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        overrides = OmegaConf.load(job / ".hydra" / "overrides.yaml")
        ran[next(o.split("=")[1] for o in overrides if o.startswith("experiment="))] = job
    assert sorted(ran) == EXPERIMENTS
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
