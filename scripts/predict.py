"""Print probabilities and classes: `python scripts/predict.py ckpt_path=<checkpoint> "inputs=[[0,1],[1,1]]"`."""

import hydra
from omegaconf import DictConfig

from backprop_lab.errors import run_main, run_reporting_user_errors


def predict(cfg: DictConfig) -> list:
    """The predict task; torch and Lightning are imported only now, so `--help` does not wait for them."""
    from backprop_lab.predict import predict

    return predict(cfg)


@hydra.main(config_path="../configs", config_name="predict", version_base="1.3")
def main(cfg: DictConfig) -> None:
    run_reporting_user_errors(predict, cfg)


if __name__ == "__main__":
    run_main(main)
