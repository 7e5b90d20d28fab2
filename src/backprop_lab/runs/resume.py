"""Resuming a run: which checkpoint, and a check that the config still matches it.

A resumed run gets a new run folder (Hydra's default), so the interrupted
run's folder, its config and its `metrics.json` stay as they were; the new
run's `metrics.json` names the checkpoint it started from.

Lightning restores the optimizer (its lr included), the scheduler and the
counters from the checkpoint, whatever the command line says; a changed
`optimizer.lr` would be silently ignored. So the settings that define the
training must equal those of the run that wrote the checkpoint, and only
`trainer.*` (e.g. `trainer.max_epochs` to train longer) may change.
"""

import shlex
from pathlib import Path
from typing import Any

import yaml
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from torch import nn

from backprop_lab.errors import CheckpointError, ConfigError
from backprop_lab.runs.checkpoints import check_fits, find_last_checkpoint, load_checkpoint, run_dir_of
from backprop_lab.runs.lock import latest_attempt
from backprop_lab.runs.record import parse_record
from backprop_lab.runs.record_writer import training_settings


def checkpoint_to_resume(cfg: DictConfig, model: nn.Module) -> str | None:
    """The checkpoint `trainer.fit` resumes from (`resume=<run folder>` or `ckpt_path=<file>`), checked."""
    resume, ckpt_path = cfg.get("resume"), cfg.get("ckpt_path")
    if resume and ckpt_path:
        raise ConfigError(
            f"Both resume={resume} and ckpt_path={ckpt_path} are set: give one. resume=<run folder> continues "
            "from that run's newest last.ckpt; ckpt_path=<file> from one checkpoint file."
        )
    if not resume and not ckpt_path:
        return None
    path = find_last_checkpoint(resume) if resume else Path(ckpt_path)
    checkpoint = load_checkpoint(path)
    check_fits(model, checkpoint, path)
    check_room_to_train(cfg, checkpoint, path)
    check_same_training(cfg, run_dir_of(path), checkpoint, path)
    return str(path)


def checkpoint_to_test(cfg: DictConfig, model: nn.Module) -> str:
    """The checkpoint `train=false` tests (`ckpt_path=<file>`), loaded safely and checked against the model."""
    ckpt_path = cfg.get("ckpt_path")
    if not ckpt_path:
        raise ConfigError(
            "train=false tests a trained checkpoint, but ckpt_path is not set: add one, e.g. train=false "
            "ckpt_path=logs/train/runs/<timestamp>/checkpoints/last.ckpt (or use scripts/eval.py ckpt_path=...)."
        )
    check_fits(model, load_checkpoint(ckpt_path), ckpt_path)
    return str(ckpt_path)


def _count(value: Any, name: str, path: Path) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= -1:
        return value
    raise CheckpointError(
        f"Checkpoint {path} stores {name}={value!r}, which is not a count (a whole number): the file was changed "
        "after training wrote it. Resume from another checkpoint of the run (best-epochNNNN.ckpt), or train again."
    )


def epochs_done(checkpoint: dict[str, Any], path: Path) -> int:
    """Epochs the run behind `checkpoint` finished: Lightning's fit-loop counter, as it restores it."""
    progress: Any = checkpoint
    for key in ("loops", "fit_loop", "epoch_progress", "current"):
        progress = progress.get(key, {}) if isinstance(progress, dict) else {}
    if isinstance(progress, dict) and "processed" in progress:
        return _count(progress["processed"], "loops.fit_loop.epoch_progress.current.processed", path)
    return _count(checkpoint.get("epoch", -1), "epoch", path) + 1


def check_room_to_train(cfg: DictConfig, checkpoint: dict[str, Any], path: Path) -> None:
    """Refuse a resume whose `trainer.max_epochs` / `max_steps` the checkpoint has already reached.

    Lightning would stop at once (limit equal) or end in a long traceback
    (limit below: "You restored a checkpoint with current_epoch=...").
    """
    done, steps = epochs_done(checkpoint, path), _count(checkpoint.get("global_step", 0), "global_step", path)
    max_epochs, max_steps = cfg.trainer.get("max_epochs"), cfg.trainer.get("max_steps", -1)
    if max_epochs not in (None, -1) and max_epochs <= done:
        raise ConfigError(
            f"trainer.max_epochs={max_epochs} is not allowed when resuming from {path}: that run has already "
            f"trained {done} epochs, so there is nothing left to train. trainer.max_epochs counts from the start "
            f"of the first run: set it above {done}, e.g. trainer.max_epochs={done + max(max_epochs, 1)} for "
            f"{max(max_epochs, 1)} more epochs."
        )
    if max_steps not in (None, -1) and max_steps <= steps:
        raise ConfigError(
            f"trainer.max_steps={max_steps} is not allowed when resuming from {path}: that run has already made "
            f"{steps} optimizer steps. trainer.max_steps counts from the start of the first run: set it above "
            f"{steps}, e.g. trainer.max_steps={steps + max(max_steps, 1)}, or -1 for no step limit."
        )


def _saved_overrides(cfg: DictConfig, run_dir: Path) -> list[str]:
    """What was typed for the run that wrote the checkpoint (an earlier attempt's, when resuming into its folder).

    Only shown in a message: read as YAML text, never resolved.
    """
    output_dir = OmegaConf.select(cfg, "paths.output_dir", default=None)
    hydra_dir = run_dir / ".hydra"
    if output_dir and Path(output_dir).resolve() == run_dir.resolve():
        hydra_dir = (latest_attempt(run_dir) or run_dir) / ".hydra"
    try:
        overrides = yaml.safe_load((hydra_dir / "overrides.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return []
    return [o for o in overrides if isinstance(o, str)] if isinstance(overrides, list) else []


def check_same_training(cfg: DictConfig, run_dir: Path, checkpoint: dict[str, Any], path: Path) -> None:
    """Raise `ConfigError` listing the settings that differ from those in the checkpoint's run record.

    The record (`runs/record.py`) is checked as data first; it also covers a
    checkpoint copied out of its run folder.
    """
    then = parse_record(checkpoint, f"the checkpoint {path}").settings
    now = training_settings(cfg)
    keys = sorted(k for k in then.keys() | now.keys() if then.get(k) != now.get(k))
    # A swapped class (optimizer=sgd instead of adam) is one difference, not one per argument.
    swapped = [k for k in keys if k.endswith("._target_")]
    keys = [k for k in keys if k in swapped or not any(k.startswith(t.removesuffix("_target_")) for t in swapped)]
    differ = [f"{k}={then.get(k)!r} in that run but {now.get(k)!r} now" for k in keys]
    if differ:
        kept = [o for o in _saved_overrides(cfg, run_dir) if not o.startswith(("hydra.", "resume=", "ckpt_path="))]
        original = " ".join(map(shlex.quote, kept)) or "(none)"
        raise ConfigError(
            f"Cannot resume from {run_dir}: the config differs from the run that wrote the checkpoint: "
            + "; ".join(differ)
            + f". Give the same overrides as that run ({original}); only trainer.* may change, "
            "e.g. trainer.max_epochs to train longer."
        )


def resume_command(output_dir: Path) -> str | None:
    """The command that continues this run, for the message of an interrupted run."""
    if not HydraConfig.initialized():
        return None
    overrides = [
        o for o in HydraConfig.get().overrides.task if not o.startswith(("resume=", "ckpt_path=", "hydra.run.dir="))
    ]
    return " ".join(["python scripts/train.py", *map(shlex.quote, overrides), f"resume={shlex.quote(str(output_dir))}"])
