"""A write that fails half way leaves the previous file whole and no temp file behind."""

import errno
import os

import pytest
import torch

from backprop_lab.errors import WriteFailed
from backprop_lab.runs.atomic import atomic_write
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
