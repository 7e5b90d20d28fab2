"""Train a model: `python scripts/train.py optimizer=adam optimizer.lr=0.01 seed=3`.

A thin Hydra entry point; the work lives in `backprop_lab.train`, imported
only after the config is composed and checked, so `--help`, `--cfg job` and
the error for a bad value come without waiting for torch and Lightning.
"""

import hydra
from omegaconf import DictConfig

from backprop_lab.config.checks import check_config  # torch-free: runs before the task's imports

# Importing the package registers the ${run_name:} and ${chosen_keys:} resolvers the configs use.
from backprop_lab.errors import run_main, run_reporting_user_errors


def train(cfg: DictConfig) -> float | None:
    """The train task; torch and Lightning are imported only now."""
    from backprop_lab.train import train

    return train(cfg)


@hydra.main(config_path="../configs", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float | None:
    return run_reporting_user_errors(train, cfg, check=check_config)


if __name__ == "__main__":
    run_main(main)
