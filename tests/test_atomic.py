"""A write that fails half way leaves the previous file whole and no temp file behind."""

import errno
import os
import re
import shutil
import threading

import pytest
import torch

from backprop_lab.errors import WriteFailed
from backprop_lab.runs.atomic import as_write_failure, atomic_write, write_failures_in_threads_logged
from backprop_lab.runs.checkpoint_io import AtomicCheckpointIO


def test_a_checkpoint_save_that_fails_keeps_the_previous_checkpoint_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "epoch": 1}, path)

    def disk_full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(WriteFailed, match=r"Could not write .*last\.ckpt: No space left on device \(it needed"):
        io.save_checkpoint({"state_dict": {"w": torch.zeros(3)}, "epoch": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]


def test_an_error_while_writing_removes_the_temp_file_and_is_raised_as_is(tmp_path):
    path = tmp_path / "comparison.md"
    path.write_text("old\n")
    with pytest.raises(RuntimeError, match="stopped"), atomic_write(path) as f:
        f.write("half")
        raise RuntimeError("stopped half way")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["comparison.md"]


def test_a_failed_write_that_names_no_file_is_told_as_the_run_folders(tmp_path):
    """A stream's write (a log, an event file) names no file: the error says the run folder and its free space."""
    failure = as_write_failure(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), tmp_path)
    free = shutil.disk_usage(tmp_path).free
    assert str(failure).startswith(f"Could not write a file of the run in {tmp_path}: No space left on device (")
    assert f"{free / 2**30:.1f} GiB free" in str(failure) or f"{free / 2**20:.1f} MiB free" in str(failure)


def run_in_thread(error: BaseException) -> None:
    def fail() -> None:
        raise error

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()


def test_a_writer_thread_that_hits_a_full_disk_logs_one_line_and_other_thread_errors_keep_their_report(
    tmp_path, monkeypatch, caplog
):
    reported: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", reported.append)  # stands for Python's own report (a traceback)
    with write_failures_in_threads_logged(tmp_path):
        run_in_thread(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
        assert reported == []
        [message] = caplog.messages
        assert re.fullmatch(r"The background thread .+ \(threading\) stopped writing: \[Errno 28\] No .*", message)
        run_in_thread(ValueError("a bug"))
        assert [type(args.exc_value) for args in reported] == [ValueError]  # a bug in a thread: reported in full
    assert threading.excepthook == reported.append
