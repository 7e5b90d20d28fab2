"""A run folder belongs to one run at a time, keeps every attempt's record, and tells a killed run from a live one."""

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from backprop_lab.errors import ConfigError, FolderInUse
from backprop_lab.runs.lock import LOCK_NAME, acquire, release
from backprop_lab.runs.resume import checkpoint_to_resume
from backprop_lab.runs.summary import RUNNING, describe_status
from backprop_lab.train import build

from helpers import QUIET, TRAIN_SCRIPT, compose_train, read_metrics, run_in_process


@pytest.fixture
def other_process():
    """A live process that is not this one."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def lock_as(folder, pid: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": socket.gethostname()}))


def test_a_folder_held_by_a_live_run_is_refused_and_nothing_is_overwritten(tmp_path, other_process):
    run_dir = tmp_path / "run"
    lock_as(run_dir, other_process)
    (run_dir / ".hydra").mkdir()
    (run_dir / ".hydra" / "config.yaml").write_text("the other run's config\n")
    proc = run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}")
    assert proc.returncode == 2
    assert f"in use by another run (process {other_process}" in proc.stderr and "Traceback" not in proc.stderr
    assert (run_dir / ".hydra" / "config.yaml").read_text() == "the other run's config\n"
    assert not (run_dir / "attempts").exists()


def test_a_stale_lock_is_taken_over_with_a_warning_and_released(tmp_path, capsys):
    lock_as(tmp_path, dead_pid())
    acquire(tmp_path)
    assert "no longer exists: taking it over" in capsys.readouterr().err
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    with pytest.raises(FolderInUse):  # held by this live process now
        acquire(tmp_path)
    release(tmp_path / LOCK_NAME, os.getpid())
    assert not (tmp_path / LOCK_NAME).exists()


def test_status_of_a_record_left_running(other_process):
    here = socket.gethostname()
    assert describe_status({"status": RUNNING, "pid": other_process, "host": here}) == "running"
    assert describe_status({"status": RUNNING, "pid": dead_pid(), "host": here}) == "killed"
    assert describe_status({"status": RUNNING, "pid": 1, "host": here + "-elsewhere"}) == "killed or running"
    assert describe_status({"status": "success", "pid": 1, "host": here}) == "success"


def test_resuming_into_the_same_folder_keeps_the_first_record_and_checks_the_config(train_run):
    first, run_dir = train_run("trainer.max_epochs=2")
    assert first.returncode == 0, first.stderr
    original = (run_dir / ".hydra" / "config.yaml").read_text()
    same = [*QUIET, f"hydra.run.dir={run_dir}", f"resume={run_dir}"]

    changed = run_in_process(TRAIN_SCRIPT, *same, "optimizer.lr=0.01", "trainer.max_epochs=3")
    assert changed.returncode == 2
    assert "optimizer.lr=0.5 in that run but 0.01 now" in changed.stderr
    assert (run_dir / "attempts" / "1" / ".hydra" / "config.yaml").read_text() == original
    assert read_metrics(run_dir / "attempts" / "1")["status"] == "success"

    resumed = run_in_process(TRAIN_SCRIPT, *same, "trainer.max_epochs=3")
    assert resumed.returncode == 0, resumed.stderr
    summary = read_metrics(run_dir)
    assert summary["status"] == "success" and summary["epochs"] == 3
    assert summary["loaded_checkpoint"] == str(run_dir / "checkpoints" / "last.ckpt")
    assert read_metrics(run_dir / "attempts" / "2")["status"] == "failed"  # the refused attempt, kept too
    assert not (run_dir / LOCK_NAME).exists()

    copied = run_dir.parent / "copied.ckpt"  # outside any run folder: compared with the checkpoint's own record
    shutil.copy(run_dir / "checkpoints" / "last.ckpt", copied)
    cfg = compose_train(f"ckpt_path={copied}", "optimizer.lr=0.01", output_dir=run_dir.parent / "new")
    with pytest.raises(ConfigError, match="optimizer.lr=0.5 in that run but 0.01 now"):
        checkpoint_to_resume(cfg, build(cfg)[1])


def test_when_even_metrics_json_cannot_be_written_stderr_says_so(tmp_path, monkeypatch, capsys):
    from backprop_lab.errors import WriteFailed
    from backprop_lab.runs import summary as runs
    from backprop_lab.runs.summary import FAILED, SUCCESS, RunSummary

    def refuse(path, data):
        raise WriteFailed(f"Could not write {path}: No space left on device.")

    monkeypatch.setattr(runs, "write_json_atomic", refuse)
    failed = RunSummary()
    failed.finish(FAILED)
    assert failed.save_or_report(tmp_path) is None  # the run's own error stays the one reported
    assert "so it does not say that this run ended 'failed'" in capsys.readouterr().err
    succeeded = RunSummary()
    succeeded.finish(SUCCESS)
    with pytest.raises(WriteFailed):  # a success nobody can see recorded is not a success
        succeeded.save_or_report(tmp_path)
