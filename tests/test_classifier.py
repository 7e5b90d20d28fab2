import functools

import torch

from backprop_lab.models.classifier import BinaryClassifier
from backprop_lab.models.nets import mlp


def make_model(**kwargs) -> BinaryClassifier:
    torch.manual_seed(0)
    return BinaryClassifier(mlp(2, [4]), functools.partial(torch.optim.SGD, lr=0.1), **kwargs)


def test_forward_gives_one_logit_per_row_and_predict_gives_probabilities():
    model = make_model()
    x = torch.randn(6, 2) * 10
    assert model(x).shape == (6,)
    probs = model.predict_step(x, 0)
    torch.testing.assert_close(probs, torch.sigmoid(model(x)))


def test_loss_is_bce_on_logits():
    model = make_model()
    x, y = torch.randn(5, 2), torch.tensor([0.0, 1, 1, 0, 1])
    loss = model.training_step((x, y), 0)
    p = torch.sigmoid(model(x))
    expected = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    torch.testing.assert_close(loss, expected)


def test_epoch_metrics_start_clean():
    """Validation steps of the sanity check must not leak into the first epoch's metrics."""
    model = make_model()
    wrong = (torch.zeros(4, 2), torch.ones(4))
    model.validation_step(wrong, 0)
    model.on_validation_epoch_start()
    model.validation_step((torch.zeros(1, 2), torch.zeros(1)), 0)
    assert model.val_loss.weight.item() == 1


def test_hyperparameters_hold_no_modules_or_partials():
    model = make_model()
    expected = {"scheduler_monitor": "val/loss", "task": "binary", "num_classes": 2, "loss": "mse", "compile": False}
    assert dict(model.hparams) == expected


def test_scheduler_is_wired_to_the_optimizer():
    model = BinaryClassifier(
        mlp(2, [4]),
        functools.partial(torch.optim.SGD, lr=0.1),
        scheduler=functools.partial(torch.optim.lr_scheduler.StepLR, step_size=5),
    )
    config = model.configure_optimizers()
    assert config["lr_scheduler"]["scheduler"].optimizer is config["optimizer"]
    assert config["lr_scheduler"]["monitor"] == "val/loss"
