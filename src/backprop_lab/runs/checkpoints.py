"""Finding and loading checkpoints safely, with messages that say what is wrong and how to fix it.

Every load goes through `torch.load(weights_only=True)`: a checkpoint that
needs arbitrary unpickling could run code when loaded, so it is refused, not
trusted. The run folder layout is the one `configs/callbacks/model_checkpoint.yaml`
writes: `<run folder>/checkpoints/*.ckpt` next to `<run folder>/.hydra/config.yaml`.
"""

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from backprop_lab.errors import CheckpointError

LAST_NAME = re.compile(r"^last(-v\d+)?\.ckpt$")


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a Lightning checkpoint on the CPU with `weights_only=True`, or raise `CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"Checkpoint {path} does not exist{' (it is a folder)' if path.is_dir() else ''}. "
            "Checkpoints are the .ckpt files in <run folder>/checkpoints/ (last.ckpt, best-epochNNNN.ckpt); "
            "pass one of those as ckpt_path=..., or resume=<run folder> to continue a run."
        )
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        # torch.save writes a zip archive; garbage that is not one also fails as "weights only load failed".
        if "weights only load failed" not in str(err).lower() or not zipfile.is_zipfile(path):
            raise _corrupt(path, err) from err
        raise CheckpointError(
            f"Refusing to load {path}: it holds Python objects that only full unpickling can rebuild, and "
            "unpickling a file runs whatever code it names. Checkpoints written by this project hold only tensors "
            "and plain values. If you wrote this file yourself and trust it, re-save it as a plain state_dict."
        ) from err
    except Exception as err:  # a damaged file fails in many ways (zip, legacy pickle, EOF): all mean the same
        raise _corrupt(path, err) from err
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(
            f"{path} loads, but it is not a Lightning checkpoint (it has no 'state_dict'). "
            "Pass a .ckpt file from <run folder>/checkpoints/."
        )
    return checkpoint


def _corrupt(path: Path, err: BaseException) -> CheckpointError:
    return CheckpointError(
        f"Checkpoint {path} cannot be read ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
        "it is probably truncated or not a checkpoint at all. Use another checkpoint of the run, e.g. "
        "best-epochNNNN.ckpt next to it, or train again."
    )


def check_fits(model: nn.Module, checkpoint: dict[str, Any], path: str | Path) -> None:
    """Raise `CheckpointError` if the checkpoint's weights do not have the model's names and shapes."""
    mine = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    theirs = {name: tuple(t.shape) for name, t in checkpoint["state_dict"].items()}
    problems = [
        f"{name}: checkpoint {theirs[name]}, model {shape}"
        for name, shape in mine.items()
        if name in theirs and theirs[name] != shape
    ]
    problems += [f"{name} is missing from the checkpoint" for name in mine if name not in theirs]
    problems += [f"{name} is in the checkpoint but not in the model" for name in theirs if name not in mine]
    if problems:
        shown = "; ".join(problems[:4]) + ("; ..." if len(problems) > 4 else "")
        raise CheckpointError(
            f"Checkpoint {path} was made for a different model: {shown}. Use the same model settings as the run "
            "that wrote it (see its <run folder>/.hydra/config.yaml, e.g. model.net.hidden), or another checkpoint."
        )


def find_last_checkpoint(run_dir: str | Path) -> Path:
    """The newest `last.ckpt` (or `last-vN.ckpt`) in `<run_dir>/checkpoints/`."""
    folder = Path(run_dir) / "checkpoints"
    candidates = [p for p in folder.glob("last*.ckpt") if LAST_NAME.match(p.name)] if folder.is_dir() else []
    if not candidates:
        raise CheckpointError(
            f"No last.ckpt in {folder}: resume=... takes a run folder (e.g. logs/train/runs/<timestamp>) whose "
            "training saved checkpoints. Check the path; a run trained with callbacks=none saves none."
        )
    return max(candidates, key=lambda p: p.stat().st_mtime_ns)


def run_dir_of(ckpt_path: str | Path) -> Path:
    """The run folder a checkpoint belongs to: the parent of its `checkpoints/` folder."""
    return Path(ckpt_path).resolve().parent.parent
