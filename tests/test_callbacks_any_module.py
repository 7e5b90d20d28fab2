"""The lab's default callbacks on a LightningModule and a DataModule written here, with no template class.

A forker's conv net on (N, 1, 6, 6) images (conv, norm and linear layers, no
`net` attribute, no `loss_fn`, logging with `self.log`), and a 2-feature MLP
with a `loss_fn`, each over plain `DataLoader`s of `TensorDataset`s: every
default callback from configs/callbacks/default.yaml runs on them, writes what
applies and skips what does not with one line, and leaves training as it was.
"""

import logging
import signal
from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities.exceptions import SIGTERMException
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn
from torch.nn import functional as F
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset
from torchmetrics.classification import MulticlassAccuracy

from backprop_lab.analysis.gradcheck import check_module

from helpers import compose_train


class TinyConv(L.LightningModule):
    """Three classes of 1x6x6 images: conv, batch norm, dropout, a linear head; the loss only in training_step."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 3, kernel_size=3)
        self.norm = nn.BatchNorm2d(3)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(3 * 4 * 4, 3)
        self.train_acc = MulticlassAccuracy(num_classes=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(torch.relu(self.norm(self.conv(x)))).flatten(1))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.train_acc(logits, y)
        self.log_dict({"train/loss": loss, "train/acc": self.train_acc}, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("val/loss", F.cross_entropy(self(x), y))

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        x, y = batch
        self.log("test/loss", F.cross_entropy(self(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


class TwoFeatures(L.LightningModule):
    """A 2-8-1 MLP on 2-D points with a `loss_fn`, and no `task`: its one output is read as a logit."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 8)
        self.out = nn.Linear(8, 1)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x))).squeeze(-1)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss_fn(self(batch[0]), batch[1])
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self.log("val/loss", self.loss_fn(self(batch[0]), batch[1]))

    test_step = validation_step

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.5)


class Images(L.LightningDataModule):
    """32 random 1x6x6 images in 3 classes, shuffled batches of 8 (the order drawn from torch's global generator)."""

    def setup(self, stage: str) -> None:
        generator = torch.Generator().manual_seed(1)
        self.data = TensorDataset(torch.randn(32, 1, 6, 6, generator=generator), torch.arange(32) % 3)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.data, batch_size=8, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.data, batch_size=16)

    test_dataloader = val_dataloader


class Points(Images):
    """40 points in the plane, labelled by the sign of x0 * x1, batched without per-row collation."""

    def setup(self, stage: str) -> None:
        x = torch.randn(40, 2, generator=torch.Generator().manual_seed(2))
        self.data = TensorDataset(x, (x[:, 0] * x[:, 1] > 0).float())

    def train_dataloader(self) -> DataLoader:
        # The dataset takes a list of indices: one indexing per batch instead of one per row.
        return DataLoader(self.data, batch_size=None, sampler=BatchSampler(RandomSampler(self.data), 10, False))


def fit(tmp_path: Path, module: L.LightningModule, data: L.LightningDataModule, lab: bool = True) -> dict:
    """Fit 3 epochs (and test) with every default callback and TensorBoard, or with neither (`lab=False`).

    Returns `trainer.callback_metrics` as fit left them (what train.py writes to metrics.json).
    """
    callbacks = [instantiate(node) for node in compose_train(output_dir=tmp_path).callbacks.values()] if lab else []
    trainer = L.Trainer(
        max_epochs=3,
        accelerator="cpu",
        logger=TensorBoardLogger(tmp_path, name="", version="tb") if lab else False,
        callbacks=callbacks,
        enable_checkpointing=lab,
        enable_progress_bar=lab,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(module, datamodule=data)
    metrics = dict(trainer.callback_metrics)
    if lab:
        trainer.test(module, datamodule=data, verbose=False)
    return metrics


def events(tmp_path: Path) -> EventAccumulator:
    run = EventAccumulator(str(tmp_path / "tb"), size_guidance={"images": 0, "scalars": 0})
    run.Reload()
    return run


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, TinyConv, list[str]]:
    folder = tmp_path_factory.mktemp("conv")
    torch.manual_seed(0)
    module = TinyConv()
    lab_log = logging.getLogger("backprop_lab.callbacks")
    notices: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: notices.append(record.getMessage())
    lab_log.addHandler(handler)
    try:
        metrics = fit(folder, module, Images())
    finally:
        lab_log.removeHandler(handler)
    return folder, metrics, module, notices


def test_per_layer_telemetry_covers_conv_norm_and_linear_layers(conv_run):
    folder, metrics, _, _ = conv_run
    scalars = set(events(folder).Tags()["scalars"])
    for param in ("conv.weight", "conv.bias", "norm.weight", "norm.bias", "head.weight"):
        for kind in ("grad_norm", "param_norm", "update_norm"):
            assert f"updates/{param}/{kind}" in scalars, (param, kind)
    # A conv bias right before batch norm gets no gradient (the norm subtracts it again): it never moves, and
    # the log10 of a zero ratio is not logged; every other parameter's is.
    assert {e.value for e in events(folder).Scalars("updates/conv.bias/update_norm")} == {0.0}
    ratios = {tag for tag in scalars if tag.endswith("/update_ratio_log10")}
    assert {f"updates/{p}/update_ratio_log10" for p in ("conv.weight", "norm.weight", "head.weight")} <= ratios
    assert "updates/conv.bias/update_ratio_log10" not in ratios
    assert [e.step for e in events(folder).Scalars("updates/conv.weight/grad_norm")] == [0, 5, 10]  # 12 steps
    assert {"updates/total/grad_norm", "updates/total/update_ratio_log10", "lr"} <= scalars
    assert float(metrics["lr"]) == pytest.approx(0.1)  # self.log: it reaches metrics.json
    histograms = set(events(folder).Tags()["histograms"])
    assert {"params/conv.weight", "params/norm.bias", "params/head.weight"} <= histograms


def test_the_decision_boundary_is_skipped_with_one_line_and_nothing_else_complains(conv_run):
    folder, _, _, notices = conv_run
    assert notices == [
        "DecisionBoundary: the inputs are of shape (N, 1x6x6), not (N, 2) features, so there is no plane to draw."
    ]
    assert sorted(events(folder).Tags()["images"]) == ["landscape/line", "landscape/plane"]


def test_the_loss_landscape_of_a_module_without_loss_fn_is_its_training_step_loss(conv_run):
    folder, _, module, _ = conv_run
    for name in ("plane.png", "line.png", "landscape.npz"):
        assert (folder / "landscape" / name).is_file(), name
    with np.load(folder / "landscape" / "landscape.npz", allow_pickle=False) as saved:
        result = {name: saved[name] for name in saved.files}
    assert "conv.weight" in result["names"] and "norm.bias" in result["names"]
    assert list(result["rows"]) == [32, 32] and np.isfinite(result["grid"]).all()
    data = Images()
    data.setup("fit")
    x, y = data.data.tensors
    module.eval()
    with torch.no_grad():  # the first rows in order, in eval mode: what the callback evaluated at the final weights
        final = float(F.cross_entropy(module(x), y))
    row, col = int(np.flatnonzero(result["betas"] == 0)[0]), int(np.flatnonzero(result["alphas"] == 0)[0])
    assert result["grid"][row, col] == pytest.approx(final, rel=1e-5)


def test_the_decision_boundary_is_drawn_for_a_2_feature_module(tmp_path):
    torch.manual_seed(0)
    fit(tmp_path, TwoFeatures(), Points())
    images = events(tmp_path).Images("decision_boundary")
    assert [image.step for image in images] == [0]  # at the start; every 5 epochs after that, of 3
    assert images[0].width == images[0].height == 180
    assert (tmp_path / "landscape" / "plane.png").is_file()


class SigtermAtTrainStart(L.Callback):
    """SIGTERM as training starts; Lightning's handler, in place during fit, only sets `trainer.received_sigterm`."""

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        signal.raise_signal(signal.SIGTERM)


@pytest.mark.parametrize("name", ["decision_boundary", "histograms"])
def test_a_picture_at_sigterm_stops_the_run_as_lightnings_loops_do(tmp_path, name):
    """Both draw as training starts: without a look at the flag, they would, and the run would stop a step later."""
    lab = instantiate(compose_train(output_dir=tmp_path).callbacks[name])
    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=TensorBoardLogger(tmp_path, name="", version="tb"),
        callbacks=[SigtermAtTrainStart(), lab],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    with pytest.raises(SIGTERMException):
        trainer.fit(TwoFeatures(), datamodule=Points())
    assert trainer.global_step == 0
    tags = events(tmp_path).Tags()
    assert tags["images"] == tags["histograms"] == []


def test_a_run_ends_on_the_same_weights_with_and_without_the_callbacks(tmp_path):
    weights = []
    for lab in (True, False):
        L.seed_everything(0)
        module = TinyConv()
        fit(tmp_path / str(lab), module, Images(), lab=lab)
        weights.append(module.state_dict())
    for name, value in weights[0].items():
        assert torch.equal(value, weights[1][name]), name


def test_gradcheck_takes_any_module_and_input_shape():
    torch.manual_seed(0)
    module = TinyConv()
    x, y = torch.randn(4, 1, 6, 6), torch.tensor([0, 1, 2, 0])
    results = check_module(module, x, y)
    names = ["conv.weight", "conv.bias", "norm.weight", "norm.bias", "head.weight", "head.bias"]
    assert [r.name for r in results] == names
    assert all(r.passed for r in results)
