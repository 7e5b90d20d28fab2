"""Checkpoints written atomically in their own folder, whatever file system it is on.

Lightning's `TorchCheckpointIO` writes through an fsspec transaction: a temp
file in `$TMPDIR`, then a move. When the run folder is on another file
system (local /tmp, runs on scratch or NFS) the move becomes a copy into the
final name, and a `kill -9` during the copy leaves a truncated `last.ckpt`
(and an orphan in `$TMPDIR`). This plugin serialises in memory, writes a temp
file next to the checkpoint, fsyncs it and renames it over the old one, so a
checkpoint on disk is always a whole one.
"""

import io
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from backprop_lab.runs.atomic import atomic_write


class AtomicCheckpointIO(TorchCheckpointIO):
    """`TorchCheckpointIO` whose saves are temp-file-in-destination + fsync + rename."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        data = buffer.getbuffer()
        with atomic_write(path, "wb", needed=data.nbytes) as f:
            f.write(data)
