"""The article's lesson, reproduced by `experiment=optimizer_grid`: too small, good and too large learning rates.

A few jobs of the grid run in-process, composed exactly as the sweep composes
them (the experiment plus one optimizer and lr), without checkpoints or
telemetry, which do not change training. The comparison report then reads
their folders back and must give each the verdict the README's table shows.
"""

import pytest
from omegaconf import OmegaConf

from backprop_lab.analysis.reports import read_job, sweep_best_drop, with_sweep_start
from backprop_lab.analysis.verdicts import loss_behaviour, loss_drop, lr_regime, sweep_start
from backprop_lab.train import build

from helpers import CONFIGS, compose_train

GRID_LRS = ["0.0001", "0.001", "0.01", "0.1", "1", "10"]

FAST = [
    "callbacks=none",
    "trainer.enable_checkpointing=false",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
]


def run_grid_job(tmp_path, optimizer: str, lr: str, *overrides: str, experiment: str = "optimizer_grid"):
    """One job of a grid; its folder read back as the comparison report reads it."""
    job_dir = tmp_path / f"{experiment}-{optimizer}-{lr}"
    cfg = compose_train(
        f"experiment={experiment}",
        f"optimizer={optimizer}",
        f"optimizer.lr={lr}",
        *FAST,
        *overrides,
        output_dir=job_dir,
    )
    (job_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, job_dir / ".hydra" / "config.yaml")
    datamodule, model, trainer = build(cfg)
    trainer.fit(model, datamodule=datamodule)
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
    assert len(job.train_loss) == 100 and job.lr == float(lr)  # the grid's budget: 100 full-batch steps
    assert job.behaviour in behaviours, job.train_loss
    assert job.regime(XOR_BEST_DROP) == regime
    assert job.solved == solved


XOR_BEST_DROP = 0.999  # the grid's best runs end near a loss of 0 (the README's table)


@pytest.mark.parametrize(
    ("experiment", "overrides"),
    [("digits", ["trainer.max_epochs=8"]), ("diabetes", ["trainer.max_epochs=15"])],
)
def test_the_same_rule_reads_other_tasks(tmp_path, experiment, overrides):
    """Digits (10 classes) and diabetes (regression): a crawling, a good and a too-large lr, by the loss alone."""
    jobs = {
        lr: run_grid_job(tmp_path, "adam", lr, *overrides, experiment=experiment) for lr in ("1e-05", "0.003", "30")
    }
    with_sweep_start(list(jobs.values()))  # as read_sweep does: lr=30 blows up within its first epoch
    best = sweep_best_drop(list(jobs.values()))
    assert {lr: job.regime(best) for lr, job in jobs.items()} == {
        "1e-05": "too small", "0.003": "good", "30": "too large"
    }, {lr: job.losses[::3] for lr, job in jobs.items()}  # fmt: skip
    assert jobs["0.003"].drop == best


@pytest.mark.parametrize(
    ("losses", "verdict"),
    [
        ([0.7, 0.6, 0.5, 0.4, 0.3], "steady"),
        ([0.7, 0.7, 0.7, 0.7], "steady"),  # crawling is not oscillating
        ([0.7, 0.5, 0.9, 0.4, 0.8, 0.3, 0.6, 0.2], "oscillated"),
        ([0.7, 0.5, float("nan")], "diverged"),
        ([0.7, 3.0, float("inf"), 0.1], "diverged"),
        ([0.7, 0.9, 1.5, 2.0], "diverged"),
        ([0.7, 2.0, 0.75], "diverged"),  # above its start: never steady
        ([0.7, 0.71, 0.72], "diverged"),
        ([], "-"),
    ],
)
def test_loss_verdicts_follow_the_documented_rule(losses, verdict):
    assert loss_behaviour(losses) == verdict


def test_a_run_that_blew_up_in_its_first_epoch_starts_where_the_others_did():
    exploded = [108375.9, 35388.1, 17637.5]  # Adam at lr=30 on digits: epoch means after the blow-up
    start = sweep_start([[2.32, 2.30], [1.84, 0.09], exploded])
    assert start == 2.32 and loss_behaviour(exploded) == "steady"
    assert loss_behaviour(exploded, start) == "diverged"


@pytest.mark.parametrize(
    ("behaviour", "losses", "best", "regime"),
    [
        ("steady", [2.3, 2.2], 0.99, "too small"),  # dropped 4%, the best run 99%
        ("steady", [2.3, 0.5], 0.99, "good"),  # 78%: at least half as far as the best
        ("steady", [0.7, 0.001], 0.99, "good"),
        ("oscillated", [0.7, 0.01], 0.99, "too large"),
        ("diverged", [0.7, float("nan")], 0.99, "too large"),
        ("-", [], 0.99, "-"),
    ],
)
def test_lr_regime_compares_the_drop_with_the_sweeps_best(behaviour, losses, best, regime):
    assert lr_regime(behaviour, loss_drop(losses), best) == regime
