"""The TensorBoard callbacks draw the right picture, skip cleanly where they cannot work, and log the graph."""

import csv
import functools
import logging

import lightning as L
import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.data import DataLoader, TensorDataset

from backprop_lab.callbacks.boundary_image import render_boundary
from backprop_lab.callbacks.decision_boundary import probability_grid
from backprop_lab.config.checks import check_config
from backprop_lab.errors import ConfigError
from backprop_lab.runs.name import tensorboard_dir
from backprop_lab.train import build

from helpers import QUIET, compose_train

TELEMETRY_OFF = [
    "~callbacks.update_telemetry",
    "~callbacks.histograms",
    "~callbacks.decision_boundary",
    "~callbacks.hparams",
]


class StepOnFirstInput(L.LightningModule):
    """A module whose logit is 20 * (x0 - 0.5): P(y=1) rises from left to right, not along y."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 20 * (x[:, 0] - 0.5)


def test_probability_grid_puts_x_on_columns_and_y_on_rows():
    x = torch.tensor([[0.0, 0.0], [1.0, 3.0]])
    probs, extent = probability_grid(StepOnFirstInput(), x, resolution=41, margin=0.5)
    assert extent == (-0.5, 1.5, -0.5, 3.5)
    assert probs.shape == (41, 41)
    assert (probs[:, -1] > 0.99).all() and (probs[:, 0] < 0.01).all()  # columns: x0 from low to high
    assert torch.allclose(probs[0], probs[-1])  # rows: x1, on which this module does not depend


def test_a_large_data_set_is_drawn_as_an_evenly_spaced_selection_of_its_points():
    probs = np.linspace(0, 1, 60 * 60).reshape(60, 60)
    x = np.random.default_rng(0).uniform(0, 1, size=(20_000, 2))
    y = (x[:, 0] > x[:, 1]).astype(float)
    image = render_boundary(probs, (0, 1, 0, 1), x, y, size=120, max_points=50)
    rows = np.linspace(0, len(x) - 1, 50).round().astype(int)
    assert np.array_equal(image, render_boundary(probs, (0, 1, 0, 1), x[rows], y[rows], size=120, max_points=50))
    # Some points were drawn (white rings), and not all of them, or the picture would be mostly white.
    white = (image == 255).all(axis=-1).mean()
    assert 0.01 < white < 0.5


class ThreeFeatures(L.LightningDataModule):
    """8 rows of 3 features, as plain DataLoaders."""

    def train_dataloader(self) -> DataLoader:
        x, y = torch.rand(8, 3, generator=torch.Generator().manual_seed(0)), torch.tensor([0.0, 1.0] * 4)
        return DataLoader(TensorDataset(x, y), batch_size=4)

    val_dataloader = test_dataloader = train_dataloader


def test_decision_boundary_skips_inputs_that_are_not_2d_and_says_so_once(tmp_path, caplog):
    cfg = compose_train(
        *QUIET, "trainer.max_epochs=3", "callbacks.decision_boundary.every_n_epochs=1", output_dir=tmp_path
    )
    _, model, trainer = build(cfg)
    sgd = functools.partial(torch.optim.SGD, lr=0.1)
    model = type(model)(net=torch.nn.Sequential(torch.nn.Linear(3, 1)), optimizer=sgd)
    with caplog.at_level(logging.WARNING):
        trainer.fit(model, datamodule=ThreeFeatures())
    notices = [r.getMessage() for r in caplog.records if r.name.startswith("backprop_lab.callbacks")]
    skipped = "DecisionBoundary: the inputs are of shape (N, 3), not (N, 2) features, so there is no plane to draw."
    assert notices == [skipped]
    run = EventAccumulator(str(tensorboard_dir(tmp_path)))
    run.Reload()
    # No decision boundary; the loss landscape needs no 2-D input.
    assert sorted(run.Tags()["images"]) == ["landscape/line", "landscape/plane"]
    assert "updates/0.weight/grad_norm" in run.Tags()["scalars"]


def test_csv_logger_gets_the_update_scalars_and_the_tensorboard_only_callbacks_step_aside(tmp_path, caplog):
    cfg = compose_train(
        *QUIET,
        "logger=csv",
        "trainer.max_epochs=3",
        "callbacks.histograms.every_n_epochs=1",
        "callbacks.decision_boundary.every_n_epochs=1",
        output_dir=tmp_path,
    )
    datamodule, model, trainer = build(cfg)
    with caplog.at_level(logging.WARNING):
        trainer.fit(model, datamodule=datamodule)
        trainer.test(model, datamodule=datamodule, verbose=False)
    ours = [r for r in caplog.records if r.name.startswith("backprop_lab")]
    notices = sorted(r.getMessage().split(":")[0] for r in ours)
    assert notices == ["DecisionBoundary", "HParamsSummary", "LossLandscape", "ParameterHistograms", "ScalarsLayout"]
    with open(tmp_path / "csv" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    steps = [row["step"] for row in rows if row.get("updates/hidden1.weight/update_norm")]
    # 3 epochs of 10 full-batch steps (data.passes_per_epoch), logged every 5th step (every_n_steps)
    assert steps == [str(step) for step in range(0, 30, 5)]


@pytest.mark.filterwarnings("ignore:`torch.jit.trace` is deprecated:DeprecationWarning")  # what add_graph uses
def test_model_graph_is_logged_when_asked(tmp_path):
    cfg = compose_train(
        *QUIET,
        *TELEMETRY_OFF,
        "logger.tensorboard.log_graph=true",
        "trainer.max_epochs=1",
        output_dir=tmp_path,
    )
    datamodule, model, trainer = build(cfg)
    trainer.fit(model, datamodule=datamodule)
    run = EventAccumulator(str(tensorboard_dir(tmp_path)))
    run.Reload()
    assert run.Tags()["graph"]
    assert any("hidden1" in node.name for node in run.Graph().node)


@pytest.mark.parametrize(
    "field",
    [
        "update_telemetry.every_n_steps",
        "histograms.every_n_epochs",
        "decision_boundary.every_n_epochs",
        "loss_landscape.every_n_steps",
        "loss_landscape.every_n_epochs",
        "loss_landscape.max_rows",
        "decision_boundary.resolution",
        "decision_boundary.pixels",
        "decision_boundary.max_rows",
        "histograms.bins",
    ],
)
def test_interval_below_one_is_a_config_error(field):
    with pytest.raises(ConfigError, match=rf"callbacks.{field}=0 is not allowed: it must be a whole number >= 1"):
        check_config(compose_train(f"callbacks.{field}=0"))
