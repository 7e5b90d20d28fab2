"""Print probabilities and classes: `python scripts/predict.py ckpt_path=<checkpoint> "inputs=[[0,1],[1,1]]"`."""

import hydra
from omegaconf import DictConfig


@hydra.main(config_path="../configs", config_name="predict", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from backprop_lab.errors import run_reporting_user_errors
    from backprop_lab.predict import predict

    run_reporting_user_errors(predict, cfg)


if __name__ == "__main__":
    main()
