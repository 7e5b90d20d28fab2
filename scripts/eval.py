"""Evaluate a checkpoint on its test set: `python scripts/eval.py ckpt_path=<run folder>/checkpoints/last.ckpt`."""

import hydra
from omegaconf import DictConfig

# Importing the package registers the ${run_name:} and ${chosen_keys:} resolvers the configs use.
from backprop_lab.errors import run_main, run_reporting_user_errors


def evaluate(cfg: DictConfig) -> dict[str, float]:
    """The eval task; torch and Lightning are imported only now, so `--help` does not wait for them."""
    from backprop_lab.evaluate import evaluate

    return evaluate(cfg)


@hydra.main(config_path="../configs", config_name="eval", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_reporting_user_errors(evaluate, cfg)


if __name__ == "__main__":
    run_main(main)
