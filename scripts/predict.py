"""Print probabilities and classes: `python scripts/predict.py ckpt_path=<checkpoint> "inputs=[[0,1],[1,1]]"`."""

import sys

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="../configs", config_name="predict", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from backprop_lab.errors import UserError
    from backprop_lab.predict import predict

    try:
        predict(cfg)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
