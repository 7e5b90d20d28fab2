"""What each side of a case needs: the template's composed config, and the hand-built sides' spec from it."""

import math
from pathlib import Path
from typing import Any

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from backprop_lab.models.nets import ACTIVATIONS

from benchmarks.settings import Settings


def composed(settings: Settings, overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(settings.root / "configs"), version_base="1.3"):
        return compose(config_name="train", overrides=["paths.output_dir=unused", *overrides])


def hand_spec(cfg: DictConfig, out_features: int = 1) -> dict[str, Any]:
    """What the plain loop and Lightning alone need to train the template's network from the same seed."""
    kwargs = OmegaConf.to_container(cfg.optimizer, resolve=True)
    target = kwargs.pop("_target_")
    kwargs.pop("_partial_", None)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    net = OmegaConf.to_container(cfg.model.net, resolve=True)
    kind = net.pop("_target_").rsplit(".", 1)[-1]  # nets.mlp or nets.cnn: hand_built.py writes both out
    return {
        **net,
        "side": "plain",
        "kind": kind,
        "seed": cfg.seed,
        "activation": ACTIVATIONS[net["activation"]].__name__,
        "out_features": out_features,
        "optimizer": target,
        "optimizer_kwargs": kwargs,
        "batch_size": cfg.data.batch_size,
        "shuffle": cfg.data.shuffle,
    }


def saved_train_split(cfg: DictConfig, folder: str) -> dict[str, Any]:
    """The template's own train split, saved for the other sides: all three train on the very same tensors."""
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    rows = datamodule.train_dataloader().dataset  # the template's `TensorRows` over its train split
    path = Path(folder) / "train_split.pt"
    torch.save({"x": rows.x.clone(), "y": rows.y.clone()}, path)  # the split alone: it may be a view of all rows
    return {"path": str(path), "rows": len(rows), "classes": datamodule.num_classes}


def same_loss(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-5)
