"""Run folders on their own small file system (tmpfs): kill -9, a disk that fills, a folder that turns read-only.

The run folder sits on a tmpfs and `$TMPDIR` on the machine's disk, as on a
cluster with runs on scratch. Mounting needs root; without it these tests skip.
`python tests/test_durability.py N [--lightning-io]` counts, over N kills at
random moments, how many left a `last.ckpt` that does not load.
"""

import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from backprop_lab.errors import CheckpointError  # noqa: E402
from backprop_lab.runs.checkpoints import load_checkpoint  # noqa: E402

from helpers import QUIET, TRAIN_SCRIPT, read_metrics, run_in_process, start_script  # noqa: E402

LONG_RUN = [*QUIET, "trainer.max_epochs=100000", "data.passes_per_epoch=1"]


def mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    if not mount_tmpfs(where, "20m"):
        pytest.skip("mounting a tmpfs is not permitted here (needs root)")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def start_training(run_dir: Path, *overrides: str, tmpdir: Path | None = None) -> subprocess.Popen:
    env = {"TMPDIR": str(tmpdir)} if tmpdir is not None else None
    return start_script(TRAIN_SCRIPT, *LONG_RUN, f"hydra.run.dir={run_dir}", *overrides, env=env)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass


def assert_recorded_checkpoints_load(run_dir: Path) -> dict:
    summary = read_metrics(run_dir)
    assert summary["status"] == "failed"
    for key in ("best_checkpoint", "last_checkpoint"):
        assert load_checkpoint(summary[key])["state_dict"], key
    return summary


@pytest.mark.slow  # a training process of its own, run until its first checkpoint
def test_disk_full_mid_run_fails_cleanly_and_keeps_the_last_good_checkpoints(small_disk):
    run_dir = small_disk / "run"
    proc = start_training(run_dir)
    wait_for(run_dir / "checkpoints" / "last.ckpt", proc)
    fill(small_disk)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "No space left on device" in stderr and "Traceback" not in stderr
    summary = assert_recorded_checkpoints_load(run_dir)
    assert "No space left on device" in summary["error"]
    assert not list(run_dir.rglob("*.tmp"))  # a failed write leaves no temp file behind


def test_disk_full_at_start_is_one_paragraph(small_disk):
    fill(small_disk)
    proc = run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={small_disk / 'run'}")  # stops before training
    assert proc.returncode == 2
    assert "is full" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow  # a training process of its own, run until its first checkpoint
def test_a_checkpoint_folder_that_turns_read_only_mid_run_fails_cleanly(small_disk):
    run_dir = small_disk / "run"
    checkpoints = run_dir / "checkpoints"
    proc = start_training(run_dir)
    wait_for(checkpoints / "last.ckpt", proc)
    subprocess.run(["mount", "--bind", str(checkpoints), str(checkpoints)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(checkpoints)], check=True)
        _, stderr = proc.communicate(timeout=120)
    finally:
        subprocess.run(["umount", "-l", str(checkpoints)], check=False)
    assert proc.returncode == 2
    assert "Read-only file system" in stderr and "Traceback" not in stderr
    summary = assert_recorded_checkpoints_load(run_dir)
    assert str(checkpoints) in summary["error"]


def wait_for_a_write(folder: Path, name: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    """Return while `name` is being rewritten: its temp file (`.<name>.<random>.tmp`, runs/atomic.py) exists."""
    deadline = time.monotonic() + timeout
    while not any(p.name.startswith(f".{name}.") and p.name.endswith(".tmp") for p in folder.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"no write of {name} seen in {timeout} s"


def kill_survey(kills: int, root: Path, *overrides: str, first_mid_write: bool = False) -> tuple[int, int]:
    """(unloadable last.ckpt files, orphan temp files in $TMPDIR) after `kills` runs killed at random moments.

    With `first_mid_write`, the first run is killed while it rewrites `last.ckpt`, the moment a
    non-atomic write would leave a torn file. The runs get a `$TMPDIR` of their own on the
    machine's disk (another file system than `root`).
    """
    rng, broken = random.Random(0), 0
    tmpdir = Path(tempfile.mkdtemp(prefix="kill_survey_tmpdir_"))
    for i in range(kills):
        run_dir = root / f"run{i}"
        mid_write = first_mid_write and i == 0
        # A wide net for the mid-write kill: a 17 MB checkpoint takes milliseconds to write, long enough to catch.
        hidden = "model.net.hidden=[2048,2048]" if mid_write else "model.net.hidden=[512,512]"
        proc = start_training(run_dir, hidden, *overrides, tmpdir=tmpdir)
        wait_for(run_dir / "checkpoints" / "last.ckpt", proc)
        if mid_write:
            wait_for_a_write(run_dir / "checkpoints", "last.ckpt", proc)
        else:
            time.sleep(rng.uniform(0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        try:
            load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
        except CheckpointError:
            broken += 1
    orphans = len([p for p in tmpdir.rglob("*") if p.is_file()])
    shutil.rmtree(tmpdir)
    return broken, orphans


@pytest.mark.slow
def test_kill_9_while_last_ckpt_is_rewritten_leaves_it_loadable(tmp_path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "400m"):
        pytest.skip("mounting a tmpfs is not permitted here (needs root)")
    try:
        # The worst moment, the one a non-atomic write tears a file at; kills at random moments are the
        # survey's below (docs/run-safety.md), each a training process of its own.
        assert kill_survey(1, disk, first_mid_write=True) == (0, 0)
        assert list((disk / "run0" / "checkpoints").glob(".last.ckpt.*.tmp"))  # the kill did land mid-write
        summary = read_metrics(disk / "run0")
        assert summary["status"] == "running"  # the record of a kill -9'd run says it never finished
        from backprop_lab.runs.summary import describe_status

        assert describe_status(summary) == "killed"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


if __name__ == "__main__":
    count, lightning_io = int(sys.argv[1]), "--lightning-io" in sys.argv
    where = Path(tempfile.mkdtemp(prefix="kill_survey_disk_"))
    if not mount_tmpfs(where, "2g"):
        sys.exit("cannot mount a tmpfs (needs root)")
    try:
        extra = ["trainer.plugins=[]"] if lightning_io else []
        unloadable, orphans = kill_survey(count, where, *extra)
        io_name = "Lightning's TorchCheckpointIO" if lightning_io else "AtomicCheckpointIO"
        print(f"{io_name}: {unloadable} of {count} last.ckpt unloadable; {orphans} orphan files left in $TMPDIR")
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()
