"""The article's lesson, reproduced by `experiment=optimizer_grid`: too small, good and too large learning rates.

A few jobs of the grid run in-process, composed exactly as the sweep composes
them (the experiment plus one optimizer and lr), without checkpoints or
telemetry, which do not change training. The comparison report then reads
their folders back and must give each the verdict the README's table shows.
"""

import pytest
from omegaconf import OmegaConf

from backprop_lab.analysis.reports import read_job
from backprop_lab.analysis.verdicts import loss_behaviour, lr_regime
from backprop_lab.train import build

from helpers import CONFIGS, compose_train

GRID_LRS = ["0.0001", "0.001", "0.01", "0.1", "1", "10"]

FAST = [
    "callbacks=none",
    "trainer.enable_checkpointing=false",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
]


def run_grid_job(tmp_path, optimizer: str, lr: str):
    """One job of the grid; its folder read back as the comparison report reads it."""
    job_dir = tmp_path / f"{optimizer}-{lr}"
    cfg = compose_train(
        "experiment=optimizer_grid", f"optimizer={optimizer}", f"optimizer.lr={lr}", *FAST, output_dir=job_dir
    )
    (job_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, job_dir / ".hydra" / "config.yaml")
    datamodule, model, trainer = build(cfg)
    trainer.fit(model, datamodule=datamodule)
    assert trainer.global_step == 100  # the grid's budget: 100 full-batch steps
    return read_job(job_dir)


def test_grid_sweeps_every_optimizer_over_six_decades_of_100_steps():
    sweep = OmegaConf.load(CONFIGS / "experiment" / "optimizer_grid.yaml").hydra.sweeper.params
    assert sweep["optimizer"] == "sgd,adam,rmsprop"
    assert sweep["optimizer.lr"] == ",".join(GRID_LRS)
    cfg = compose_train("experiment=optimizer_grid")
    assert (cfg.data.passes_per_epoch, cfg.trainer.max_epochs) == (1, 100)


@pytest.mark.parametrize(
    ("optimizer", "lr", "behaviours", "regime", "solved"),
    [
        ("rmsprop", "0.0001", {"steady"}, "too small", False),  # crawls: not solved in 100 steps
        ("sgd", "1", {"steady"}, "good", True),
        ("adam", "1", {"oscillated"}, "too large", True),  # overshoots several times, then settles
        ("sgd", "10", {"oscillated", "diverged"}, "too large", False),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_grid_shows_the_three_regimes(tmp_path, optimizer, lr, behaviours, regime, solved):
    job = run_grid_job(tmp_path, optimizer, lr)
    assert len(job.train_loss) == 100 and job.lr == float(lr)
    assert job.behaviour in behaviours, job.train_loss
    assert job.regime == regime
    assert job.solved == solved


@pytest.mark.parametrize(
    ("losses", "solved", "verdict"),
    [
        ([0.7, 0.6, 0.5, 0.4, 0.3], True, "steady"),
        ([0.7, 0.7, 0.7, 0.7], False, "steady"),  # crawling is not oscillating
        ([0.7, 0.5, 0.9, 0.4, 0.8, 0.3, 0.6, 0.2], True, "oscillated"),
        ([0.7, 0.5, float("nan")], False, "diverged"),
        ([0.7, 3.0, float("inf"), 0.1], True, "diverged"),
        ([0.7, 0.9, 1.5, 2.0], True, "diverged"),  # above 1.5x the start, solved or not
        ([0.7, 2.0, 0.75], False, "diverged"),  # unsolved and above its start: never steady
        ([0.7, 0.71, 0.72], False, "diverged"),
        ([0.7, 0.71, 0.72], True, "steady"),
        ([], False, "-"),
    ],
)
def test_loss_verdicts_follow_the_documented_rule(losses, solved, verdict):
    assert loss_behaviour(losses, solved) == verdict


@pytest.mark.parametrize(
    ("behaviour", "solved", "regime"),
    [
        ("steady", False, "too small"),
        ("steady", True, "good"),
        ("oscillated", True, "too large"),
        ("diverged", False, "too large"),
        ("-", False, "-"),
    ],
)
def test_lr_regime_names_the_articles_three_cases(behaviour, solved, regime):
    assert lr_regime(behaviour, solved) == regime
