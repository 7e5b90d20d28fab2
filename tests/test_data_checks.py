"""Faults in the data are named as such before the first step: never as a divergence, never as a traceback."""

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from backprop_lab.data.checks import CheckFirstBatches, check_rows, first_batch
from backprop_lab.data.tensors import TensorDataModule
from backprop_lab.errors import DataError
from backprop_lab.train import train

from helpers import QUIET, compose_train, read_metrics

XOR = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]]), torch.tensor([0.0, 1, 1, 0])


def splits(x: torch.Tensor, y: torch.Tensor) -> dict:
    return {"train": (x, y), "val": XOR, "test": XOR}


@pytest.mark.parametrize(
    ("x", "y", "says"),
    [
        (torch.tensor([[0.0, float("nan")], [0, 1], [1, 0], [1, 1]]), XOR[1], r"NaN or infinite .* row 0, position 1"),
        (torch.tensor([[0.0, 0], [0, 1], [1, float("inf")], [1, 1]]), XOR[1], r"row 2, position 1: inf"),
        (XOR[0], torch.tensor([0.0, 1, float("nan"), 0]), "targets hold NaN"),
        (XOR[0], torch.tensor([0.0, 1, 2, 0]), "declared binary"),
        (XOR[0].unsqueeze(0), XOR[1], r"shape \(N, \.\.\.\) and targets shape \(N,\)"),
        (XOR[0], XOR[1].unsqueeze(1), r"y of shape \(4, 1\)"),
    ],
)
def test_in_memory_rows_are_checked_whole(x, y, says):
    with pytest.raises(DataError, match=says):
        check_rows(splits(x, y), "binary", None, "Mine", max_classes=1000)


class NanInTheMiddle(TensorDataModule):
    """XOR with a NaN in a feature of the training rows: the data module of a fork that forgot to clean a file."""

    def make_splits(self) -> dict:
        x = XOR[0].repeat(8, 1)
        x[13, 0] = float("nan")
        return splits(x, XOR[1].repeat(8))


def test_a_nan_in_the_data_stops_the_run_as_a_data_error_not_a_divergence(tmp_path):
    cfg = compose_train(*QUIET, "logger=none", output_dir=tmp_path)
    cfg.data = {"_target_": f"{__name__}.NanInTheMiddle"}
    with pytest.raises(DataError) as refused:
        train(cfg)
    message = str(refused.value)
    assert "row 13, position 0: nan" in message and "diverged" not in message and "learning rate" not in message
    assert read_metrics(tmp_path)["status"] == "failed"


class Pairs(Dataset):
    """Per-sample items as a fork's Dataset gives them; `bad` decides what the fault is."""

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int):
        x, y = XOR[0][i % 4].clone(), XOR[1][i % 4]
        if self.bad == "inf" and i == 2:
            x[1] = float("inf")
        if self.bad == "label":
            y = torch.tensor(3.0)
        return (x, y) if self.bad != "triple" else (x, y, i)


class ForksData(L.LightningDataModule):
    task = "binary"

    def __init__(self, bad: str) -> None:
        super().__init__()
        self.bad = bad

    def train_dataloader(self) -> DataLoader:
        return DataLoader(Pairs(self.bad), batch_size=4, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(Pairs("none"), batch_size=4)


class Linear(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        return torch.nn.functional.binary_cross_entropy_with_logits(self.layer(batch[0]).squeeze(-1), batch[1])

    def validation_step(self, batch, batch_idx) -> None:
        pass

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("inf", r"ForksData, first train batch: the inputs hold NaN or infinite values \(the first at row 2"),
        ("label", r"labels run up to 3, but the data declare 2 classes"),
        ("triple", r"batches must be \(x, y\) pairs, got a list"),
    ],
)
def test_any_data_modules_first_batches_are_checked_before_the_first_step(bad, says):
    model = Linear()
    before = model.layer.weight.detach().clone()
    trainer = L.Trainer(
        max_epochs=1,
        callbacks=[CheckFirstBatches("binary", 2)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    with pytest.raises(DataError, match=says):
        trainer.fit(model, datamodule=ForksData(bad))
    assert torch.equal(model.layer.weight, before)  # not one step was taken


def test_taking_the_first_batch_draws_nothing_from_the_global_generator():
    """The check runs before training: a run with it must draw the same dropout masks as one without it."""
    loader = DataLoader(Pairs("none"), batch_size=4, shuffle=False)
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    first_batch(loader)
    assert torch.equal(torch.rand(3), expected)
