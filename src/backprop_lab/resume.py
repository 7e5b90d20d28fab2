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

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from torch import nn

from backprop_lab.checkpoints import check_fits, find_last_checkpoint, load_checkpoint, run_dir_of
from backprop_lab.checks import ConfigError
from backprop_lab.rebuild import RECORD_KEY
from backprop_lab.run_lock import latest_attempt

MUST_MATCH = ("data", "model", "optimizer", "scheduler", "seed")


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
    check_same_training(cfg, run_dir_of(path), checkpoint.get(RECORD_KEY))
    return str(path)


def _flatten(node: Any, prefix: str) -> dict[str, Any]:
    if isinstance(node, dict):
        return {k: v for key, value in node.items() for k, v in _flatten(value, f"{prefix}.{key}").items()}
    return {prefix: node}


def _training_settings(cfg: DictConfig) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key in MUST_MATCH:
        value = OmegaConf.select(cfg, key, default=None)
        value = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
        settings.update(_flatten(value, key))
    return settings


def _saved_record(cfg: DictConfig, run_dir: Path) -> Path:
    """The `.hydra` folder of the run that wrote the checkpoint: an earlier attempt's, when resuming into its folder."""
    output_dir = OmegaConf.select(cfg, "paths.output_dir", default=None)
    if output_dir and Path(output_dir).resolve() == run_dir.resolve():
        earlier = latest_attempt(run_dir)
        return (earlier or run_dir) / ".hydra"
    return run_dir / ".hydra"


def check_same_training(cfg: DictConfig, run_dir: Path, record: Any = None) -> None:
    """Raise `ConfigError` listing the settings that differ from those the checkpoint was trained with.

    They come from the checkpoint's own record (`rebuild.py`), which also
    covers a checkpoint copied out of its run folder; for an older checkpoint,
    from its run folder's saved config (an earlier attempt's, when resuming
    into the same folder).
    """
    hydra_dir = _saved_record(cfg, run_dir)
    saved_path = hydra_dir / "config.yaml"
    if isinstance(record, dict) and isinstance(record.get("settings"), dict):
        then = {k: v for key, value in record["settings"].items() for k, v in _flatten(value, key).items()}
    elif saved_path.is_file():
        then = _training_settings(OmegaConf.load(saved_path))
    else:
        return  # an old checkpoint outside a run folder: nothing to compare with
    now = _training_settings(cfg)
    keys = sorted(k for k in then.keys() | now.keys() if then.get(k) != now.get(k))
    # A swapped class (optimizer=sgd instead of adam) is one difference, not one per argument.
    swapped = [k for k in keys if k.endswith("._target_")]
    keys = [k for k in keys if k in swapped or not any(k.startswith(t.removesuffix("_target_")) for t in swapped)]
    differ = [f"{k}={then.get(k)!r} in that run but {now.get(k)!r} now" for k in keys]
    if differ:
        overrides_path = hydra_dir / "overrides.yaml"
        overrides = OmegaConf.load(overrides_path) if overrides_path.is_file() else []
        kept = [o for o in overrides if not o.startswith(("hydra.", "resume=", "ckpt_path="))]
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
