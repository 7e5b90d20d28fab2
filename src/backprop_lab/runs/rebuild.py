"""Eval's and predict's side of the run record: the trained model and its data, rebuilt from the checkpoint alone.

The record (`runs/record.py`) is checked as data first. Then the classes come
from the project's own config option it names (`configs/model/mlp.yaml`,
`configs/data/xor.yaml`) and only the values from the record, each of which
must be a key that option has, of the type it has there; the run folder's
`.hydra/` is never read. The model is built by `config.model.build_task_model`,
as training built it. Nothing here makes a logger, a writer or a store.
"""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from backprop_lab.config.checks import config_problems
from backprop_lab.config.model import build_task_model
from backprop_lab.config.options import option_file, project_section, section_problems
from backprop_lab.errors import CheckpointError
from backprop_lab.runs.record import RunRecord, parse_record

AGAIN = "Use a checkpoint written by scripts/train.py of this project, or train again."


def read_record(checkpoint: dict[str, Any], ckpt_path: str | Path) -> RunRecord:
    """The checkpoint's record, checked as data and against the project's options and config checks."""
    source = f"the checkpoint {ckpt_path}"
    record = parse_record(checkpoint, source)
    problems = []
    for group, option in record.options.items():
        if option is not None and option_file(group, option).is_file():
            problems += section_problems(group, option, record.section(group))
    if not problems:
        try:
            problems = config_problems(OmegaConf.create(record.settings_tree()))
        except Exception as err:  # whatever keeps the values from forming a config, the refusal is the same
            problems = [f"they do not form a config ({err})"]
    if problems:
        raise CheckpointError(
            f"The checkpoint {ckpt_path} records settings this project refuses: {'; '.join(problems)}. {AGAIN}"
        )
    return record


def _section(record: RunRecord, group: str, ckpt_path: str | Path) -> DictConfig:
    option = record.options[group]
    if option is None or not option_file(group, option).is_file():
        raise CheckpointError(
            f"The checkpoint {ckpt_path} was trained with {group} settings that are no file of configs/{group}/ "
            f"(its record names {option!r}), so this project cannot rebuild its {group}. Add that option's YAML "
            f"back to configs/{group}/, or train again with one that exists."
        )
    return project_section(group, option, record.section(group), {"seed": record.seed})


def _built(group: str, build: Callable[[], Any], record: RunRecord, ckpt_path: str | Path) -> Any:
    """`build()`; the class of the project's option refusing the record's values is the record's fault."""
    try:
        return build()
    except (InstantiationException, TypeError, ValueError) as err:
        cause = err.__cause__ or err
        raise CheckpointError(
            f"The checkpoint {ckpt_path} records {group} settings that configs/{group}/{record.options[group]}.yaml "
            f"cannot take: {' '.join(str(cause).split())}. {AGAIN}"
        ) from err


def build_data(record: RunRecord, ckpt_path: str | Path) -> L.LightningDataModule:
    """The data module of the training run, set to scale with the training run's own statistics."""
    section = _section(record, "data", ckpt_path)
    datamodule = _built("data", lambda: instantiate(section), record, ckpt_path)
    use = getattr(datamodule, "use_preprocessing", None)
    if record.preprocessing and callable(use):
        use(record.preprocessing)
    return datamodule


def check_classes(record: RunRecord, datamodule: L.LightningDataModule, ckpt_path: str | Path) -> None:
    """Refuse data whose task or number of classes is not the checkpoint's: its scores would be nonsense."""
    classes = getattr(datamodule, "num_classes", 2)  # reads the data first: a CSV's task comes from its labels
    theirs = (getattr(datamodule, "task", "binary"), classes)
    if theirs != (record.task, record.num_classes):
        raise CheckpointError(
            f"Checkpoint {ckpt_path} was trained for the {record.task} task with {record.num_classes} classes, but "
            f"the data hold the {theirs[0]} task with {theirs[1]} classes. Evaluate it on the data it was trained "
            "on (the same data settings and file), or train a new model on these data."
        )


def rebuild_model(record: RunRecord, ckpt_path: str | Path) -> L.LightningModule:
    """The LightningModule of the training run, built as training built it, with its target's scaling."""
    section = _section(record, "model", ckpt_path)
    build = functools.partial(build_task_model, section, record.task, record.num_classes, record.input_shape)
    model = _built("model", build, record, ckpt_path)
    if "target_mean" in record.preprocessing:
        model.task.mean, model.task.std = record.preprocessing["target_mean"], record.preprocessing["target_std"]
    return model


def scale_inputs(x: torch.Tensor, preprocessing: dict[str, Any]) -> torch.Tensor:
    """Raw input rows scaled as the training rows were (no-op without stored statistics).

    The statistics are stored flat, one per input value; they take the rows' shape here.
    """
    if "mean" not in preprocessing:
        return x.float()
    mean, std = (torch.tensor(preprocessing[key]).reshape(x.shape[1:]) for key in ("mean", "std"))
    return (x.float() - mean) / std
