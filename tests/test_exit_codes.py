"""What the entry points do with a user's mistake: exit code, no traceback, `metrics.json`, and the sweep's table.

The messages themselves are tested in tests/test_bad_input.py; here the
real scripts run (one bad run, one sweep, one Ctrl-C), plus the two readers
of run folders that a damaged file must not crash.
"""

import re
import signal
import subprocess
import sys

import pytest

from backprop_lab.config.checks import check_config
from backprop_lab.errors import ConfigError, run_reporting_user_errors
from backprop_lab.runs.failed_sweep import FailedSweepJob

from helpers import QUIET, ROOT, TRAIN_SCRIPT, compose_train, read_metrics, run_script, signal_when, start_script


def fake_job(sweep_dir, name: str, overrides: list[str], metrics: str | None) -> None:
    hydra_dir = sweep_dir / name / ".hydra"
    hydra_dir.mkdir(parents=True)
    (hydra_dir / "config.yaml").write_text("optimizer:\n  _target_: torch.optim.SGD\n  lr: 0.5\n")
    (hydra_dir / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    if metrics is not None:
        (sweep_dir / name / "metrics.json").write_text(metrics)


def test_failed_sweep_ends_with_a_table_of_every_job(tmp_path):
    fake_job(tmp_path, "0", ["optimizer.lr=-1", "seed=1"], '{"status": "failed", "error": "ConfigError: lr"}')
    fake_job(tmp_path, "1", ["optimizer.lr=0.5", "seed=1"], '{"status": "success", "metrics": {}}')
    fake_job(tmp_path, "2", ["optimizer.lr=5", "seed=1"], "{not json")
    lines = str(FailedSweepJob(ConfigError("lr"), tmp_path)).splitlines()
    assert lines[0].startswith(f"2 of 3 jobs of the sweep in {tmp_path} did not succeed")
    rows = [line.split(None, 3) for line in lines[2:5]]
    assert rows == [
        ["0", "failed", "optimizer.lr=-1", "ConfigError: lr"],  # seed=1 is shared by every job: left out
        ["1", "success", "optimizer.lr=0.5"],
        ["2", "unreadable", "metrics.json", "optimizer.lr=5"],
    ]
    assert lines[-1] == f"Compare the jobs that ran with: python scripts/compare_runs.py {tmp_path}"


@pytest.mark.parametrize(
    "metrics", ['{"status": "success", "metr', "[1, 2]", '{"metrics": {"test/acc": "high"}}', "\xff\xfe"]
)
def test_compare_runs_refuses_a_damaged_metrics_json(metrics, tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from compare_runs import main
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    fake_job(tmp_path, "0", ["optimizer.lr=0.5"], None)
    (tmp_path / "0" / "metrics.json").write_bytes(metrics.encode("latin-1"))
    assert main([str(tmp_path)]) == 2
    message = capsys.readouterr().err
    assert message.startswith(f"error: {tmp_path / '0' / 'metrics.json'} cannot be read (")
    assert f"move the job folder {tmp_path / '0'} out of the sweep folder" in message


@pytest.mark.parametrize("events", [False, True], ids=["no tensorboard folder", "no images"])
def test_filmstrip_refuses_a_run_without_images(events, tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from decision_boundary_filmstrip import main
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    if events:
        (tmp_path / "tensorboard").mkdir()
    assert main([str(tmp_path)]) == 2  # the scripts' one `reports_user_errors`: a paragraph, no traceback
    message = capsys.readouterr().err
    expected = "has no 'decision_boundary' images" if events else "has no TensorBoard event files"
    assert message.startswith(f"error: {tmp_path} {expected}") and "Traceback" not in message


def test_a_bad_value_is_refused_before_the_task_and_its_imports(tmp_path, capsys):
    """scripts/train.py checks the config first: the error comes without waiting seconds for torch and Lightning."""
    cfg = compose_train("optimizer.lr=-1", output_dir=tmp_path)
    started = []
    with pytest.raises(SystemExit) as exit_:
        run_reporting_user_errors(started.append, cfg, check=check_config)
    assert exit_.value.code == 2 and started == []
    assert "optimizer.lr=-1 is not allowed" in capsys.readouterr().err
    assert read_metrics(tmp_path)["status"] == "failed"
    # The check itself needs neither torch nor Lightning.
    code = "import sys, backprop_lab.config.checks; print({m.split('.')[0] for m in sys.modules})"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'omegaconf'" in imported and "'torch'" not in imported and "'lightning'" not in imported


# The exit code path, through the real script in a fresh interpreter: one run, one sweep, one Ctrl-C.


def test_bad_value_exits_2_without_traceback_and_records_the_failure(train_process):
    proc, run_dir = train_process("optimizer.lr=-1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("error: Invalid config, nothing was trained. optimizer.lr=-1 is not allowed")
    assert read_metrics(run_dir)["status"] == "failed"
    assert not (run_dir / "checkpoints").exists()


def test_unknown_optimizer_lists_the_available_ones(train_run):
    proc, run_dir = train_run("optimizer=no_such_optimizer")  # Hydra's own error: run in this process
    assert proc.returncode != 0
    for name in ["adam", "adamw", "rmsprop", "sgd", "nadam", "radam", "adagrad"]:
        assert name in proc.stderr
    assert not (run_dir / "metrics.json").exists()


def test_sweep_with_failed_jobs_exits_1_with_the_table_not_a_traceback(tmp_path):
    proc = run_script(TRAIN_SCRIPT, "-m", "seed=-1,-2", f"hydra.sweep.dir={tmp_path}", *QUIET)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"2 of 2 jobs of the sweep in {tmp_path} did not succeed" in proc.stderr
    assert re.search(r"^0 +failed +seed=-1 +ConfigError: Invalid config", proc.stderr, re.M)
    assert [read_metrics(tmp_path / job)["status"] for job in ("seed=-1", "seed=-2")] == ["failed", "failed"]


# (signal, exit code, the error metrics.json records)
START_UP_SIGNALS = {
    "ctrl-c": (signal.SIGINT, 130, "KeyboardInterrupt: Ctrl-C (SIGINT) while starting up: nothing was run"),
    "sigterm": (signal.SIGTERM, 143, "Terminated: SIGTERM while starting up: nothing was run"),
}


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "error"), START_UP_SIGNALS.values(), ids=START_UP_SIGNALS.keys())
def test_a_signal_during_start_up_exits_with_its_code_and_records_the_interruption(tmp_path, signum, code, error):
    run_dir = tmp_path / "run"
    proc = start_script(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}", "trainer.max_epochs=1000")
    # Hydra's last file before the task starts; then 0.3 s into the task, which imports torch and Lightning (seconds).
    ready = (run_dir / ".hydra" / "overrides.yaml").exists
    stderr = signal_when(proc, ready, signum, timeout=60, delay=0.3).stderr
    assert proc.returncode == code and "Traceback" not in stderr, stderr
    assert f"Interrupted by {error.split(': ', 1)[1]}." in stderr
    metrics = read_metrics(run_dir)
    assert metrics["status"] == "interrupted" and metrics["global_step"] == 0
    assert metrics["error"] == error
    assert not (run_dir / "checkpoints").exists()
