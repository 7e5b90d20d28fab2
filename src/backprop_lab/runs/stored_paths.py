"""A resumed checkpoint's file paths are not followed: callbacks keep to the current run's folders.

`ModelCheckpoint` stores the paths of the checkpoints it wrote (`best_model_path`,
`last_model_path`, `best_k_models`, ...) and on resume deletes the ones it
replaces. A checkpoint is shared and can be edited, and Lightning's own guard
(`dirpath in path.parents`) does not normalise `..`: a state naming
`checkpoints/../../victim.txt` got that file deleted. So before any callback
loads its state, every stored path that is not a file directly inside that
callback's own (current) `dirpath` is dropped; the run then simply does not
know that checkpoint.
"""

import logging
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint

log = logging.getLogger(__name__)
PATH_FIELDS = ("best_model_path", "kth_best_model_path", "last_model_path")


def _inside(path: Any, folder: Path) -> bool:
    if not isinstance(path, str) or not path or "://" in path:
        return False
    return Path(path).resolve().parent == folder


def keep_paths_inside(state: dict[str, Any], folder: Path) -> list[str]:
    """Drop, in place, the stored paths of a `ModelCheckpoint` state that lie outside `folder`; those dropped."""
    dropped = [
        state[name] for name in PATH_FIELDS if name in state and state[name] and not _inside(state[name], folder)
    ]
    for name in PATH_FIELDS:
        if name in state and not _inside(state[name], folder):
            state[name] = ""
    best = state.get("best_k_models")
    if isinstance(best, dict):
        dropped += [p for p in best if not _inside(p, folder)]
        state["best_k_models"] = {p: score for p, score in best.items() if _inside(p, folder)}
    elif best is not None:
        state["best_k_models"] = {}
    if not state.get("best_model_path"):
        state["best_model_score"] = None
    return [str(p) for p in dropped]


class StoredPathsStayInRun(L.Callback):
    """Before callbacks load their state on resume, keep only the stored paths inside the current run's folders."""

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        states = checkpoint.get("callbacks")
        if not isinstance(states, dict):
            return
        for callback in trainer.callbacks:
            state = states.get(callback.state_key)
            if isinstance(callback, ModelCheckpoint) and isinstance(state, dict) and callback.dirpath:
                dropped = keep_paths_inside(state, Path(callback.dirpath).resolve())
                if dropped:
                    log.warning(
                        "The checkpoint's %s state names files outside this run's %s, ignored: %s.",
                        type(callback).__name__,
                        callback.dirpath,
                        ", ".join(dropped),
                    )
