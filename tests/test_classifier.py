"""The LightningModule is plain Lightning: its values reach the Trainer's dictionaries and the progress bar."""

import functools

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

from backprop_lab.models.classifier import TaskModel
from backprop_lab.models.nets import mlp


def make_model(**kwargs) -> TaskModel:
    torch.manual_seed(0)
    return TaskModel(mlp((2,), [4]), functools.partial(torch.optim.SGD, lr=0.1), **kwargs)


def test_forward_gives_one_logit_per_row_and_predict_gives_probabilities():
    model = make_model()
    x = torch.randn(6, 2) * 10
    assert model(x).shape == (6,)
    probs = model.predict_step(x, 0)
    torch.testing.assert_close(probs, torch.sigmoid(model(x)))


def test_loss_is_bce_on_logits():
    model = make_model()
    x, y = torch.randn(5, 2), torch.tensor([0.0, 1, 1, 0, 1])
    p = torch.sigmoid(model(x))
    expected = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    torch.testing.assert_close(model.loss_fn(model(x), y), expected)


def test_hyperparameters_hold_no_modules_or_partials():
    model = make_model()
    expected = {"scheduler_monitor": "val/loss", "task": "binary", "num_classes": 2, "loss": "mse", "compile": False}
    assert dict(model.hparams) == expected


def test_scheduler_is_wired_to_the_optimizer():
    model = TaskModel(
        mlp((2,), [4]),
        functools.partial(torch.optim.SGD, lr=0.1),
        scheduler=functools.partial(torch.optim.lr_scheduler.StepLR, step_size=5),
    )
    config = model.configure_optimizers()
    assert config["lr_scheduler"]["scheduler"].optimizer is config["optimizer"]
    assert config["lr_scheduler"]["monitor"] == "val/loss"


def fit_two_epochs(model: TaskModel, batch_size: int) -> L.Trainer:
    x = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]]).repeat(4, 1)
    y = torch.tensor([0.0, 1, 1, 0]).repeat(4)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    trainer = L.Trainer(max_epochs=2, logger=False, enable_checkpointing=False, enable_model_summary=False)
    trainer.fit(model, loader, loader)
    return trainer


def test_epoch_values_are_the_batch_weighted_means_lightning_reports_everywhere():
    model = make_model()
    trainer = fit_two_epochs(model, batch_size=6)  # batches of 6, 6 and 4 rows
    expected = {"train/loss", "train/acc", "val/loss", "val/acc", "val/auroc", "val/f1"}
    assert expected <= set(trainer.logged_metrics) and expected <= set(trainer.callback_metrics)
    assert {"train/loss", "val/loss", "val/acc"} <= set(trainer.progress_bar_metrics)
    x = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]]).repeat(4, 1)
    y = torch.tensor([0.0, 1, 1, 0]).repeat(4)
    with torch.no_grad():
        loss = model.loss_fn(model(x), y)  # the whole split at the final weights: what val/loss must be
        acc = ((model(x) > 0).float() == y).float().mean()
    torch.testing.assert_close(trainer.callback_metrics["val/loss"], loss)
    torch.testing.assert_close(trainer.callback_metrics["val/acc"], acc)
