"""Evaluate a checkpoint on its test set: `python scripts/eval.py ckpt_path=<run folder>/checkpoints/last.ckpt`."""

import sys

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="../configs", config_name="eval", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from backprop_lab.errors import UserError
    from backprop_lab.evaluate import evaluate

    try:
        evaluate(cfg)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
