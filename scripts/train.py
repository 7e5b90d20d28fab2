"""Train a model: `python scripts/train.py optimizer=adam optimizer.lr=0.01 seed=3`.

A thin Hydra entry point; the work lives in `backprop_lab.train`, imported
only after the config is composed so `--help` and `--cfg job` stay fast.
"""

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig


@hydra.main(config_path="../configs", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    from backprop_lab.errors import UserError
    from backprop_lab.train import train

    try:
        return train(cfg)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            # Hydra records this job as failed and goes on with the next (see README, "Sweeps").
            raise
        sys.exit(2)


if __name__ == "__main__":
    main()
