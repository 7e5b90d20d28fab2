"""The update telemetry reports the gradients and steps the optimizer really took, and changes nothing."""

import copy
import math
from collections import OrderedDict

import lightning as L
import pytest
import torch
from lightning.pytorch.loggers import Logger
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from backprop_lab.callbacks.update_telemetry import UpdateTelemetry
from backprop_lab.train import build

from helpers import QUIET, compose_train

PARAMS = ["hidden1.weight", "hidden1.bias", "output.weight", "output.bias"]
XOR_X, XOR_Y = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), torch.tensor([0.0, 1.0, 1.0, 0.0])


class XORNet(L.LightningModule):
    """A 2-8-1 tanh MLP in `net` (the callbacks' default root), trained with plain SGD on full batches."""

    def __init__(self, lr: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            OrderedDict(hidden1=nn.Linear(2, 8), act1=nn.Tanh(), output=nn.Linear(8, 1), flat=nn.Flatten(0))
        )
        self.loss_fn, self.lr = nn.BCEWithLogitsLoss(), lr

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self.loss_fn(self(batch[0]), batch[1])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.0)


class RecordingLogger(Logger):
    """Keeps every `log_metrics` call in memory: {step: {name: value}}."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: dict[int, dict[str, float]] = {}

    @property
    def name(self) -> str:
        return "recording"

    @property
    def version(self) -> int:
        return 0

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.steps.setdefault(step, {}).update(metrics)

    def log_hyperparams(self, params: object, *args: object, **kwargs: object) -> None:
        pass


def fit_xor(callback: UpdateTelemetry, epochs: int, lr: float = 0.1, **trainer_args: object) -> tuple:
    """Full-batch XOR with plain SGD (no momentum): each step moves theta by exactly lr * (clipped) gradient."""
    torch.manual_seed(0)
    model = XORNet(lr)
    initial = copy.deepcopy(model)
    logger = RecordingLogger()
    trainer = L.Trainer(
        max_epochs=epochs,
        logger=logger,
        callbacks=[callback],
        accelerator="cpu",
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        **trainer_args,
    )
    trainer.fit(model, train_dataloaders=DataLoader(TensorDataset(XOR_X, XOR_Y), batch_size=4))
    return initial, {step: m for step, m in logger.steps.items() if "updates/total/grad_norm" in m}


def test_norms_match_autograd_and_the_sgd_step():
    initial, steps = fit_xor(UpdateTelemetry(every_n_steps=3), epochs=10, lr=0.1)
    assert sorted(steps) == [0, 3, 6, 9]

    initial.loss_fn(initial(XOR_X), XOR_Y).backward()
    first = steps[0]
    for name, p in initial.net.named_parameters():
        assert first[f"updates/{name}/grad_norm"] == pytest.approx(p.grad.norm().item(), rel=1e-5)
        assert first[f"updates/{name}/param_norm"] == pytest.approx(p.detach().norm().item(), rel=1e-5)

    for metrics in steps.values():
        assert metrics["updates/lr/group0"] == 0.1
        grads = [metrics[f"updates/{name}/grad_norm"] for name in PARAMS]
        assert metrics["updates/total/grad_norm"] == pytest.approx(math.sqrt(sum(g * g for g in grads)), rel=1e-5)
        updates = [metrics[f"updates/{name}/update_norm"] for name in PARAMS]
        assert metrics["updates/total/update_norm"] == pytest.approx(math.hypot(*updates), rel=1e-6)
        assert metrics["updates/reference/update_ratio_log10"] == -3.0
        for name, update in zip(PARAMS, updates, strict=True):
            assert update == pytest.approx(0.1 * metrics[f"updates/{name}/grad_norm"], rel=1e-4)
            assert metrics[f"updates/{name}/update_ratio_log10"] == pytest.approx(
                math.log10(update / metrics[f"updates/{name}/param_norm"]), abs=1e-6
            )


def test_a_long_run_logs_at_most_max_points_times():
    """40 steps at every_n_steps=2 would log 20 times; max_points=8 stretches the interval to 5 steps."""
    _, steps = fit_xor(UpdateTelemetry(every_n_steps=2, max_points=8), epochs=40)
    assert sorted(steps) == [0, 5, 10, 15, 20, 25, 30, 35]
    _, short = fit_xor(UpdateTelemetry(every_n_steps=2, max_points=8), epochs=10)
    assert sorted(short) == [0, 2, 4, 6, 8]  # a short run keeps its every_n_steps


def test_grad_norm_is_the_raw_gradient_and_the_update_the_clipped_one():
    _, steps = fit_xor(UpdateTelemetry(every_n_steps=1), epochs=3, lr=0.1, gradient_clip_val=1e-3)
    for metrics in steps.values():
        assert metrics["updates/total/grad_norm"] > 1e-2  # the gradient backward produced ...
        moved = math.sqrt(sum(metrics[f"updates/{name}/update_norm"] ** 2 for name in PARAMS))
        assert moved == pytest.approx(0.1 * 1e-3, rel=1e-3)  # ... and the step the clipped one made


def test_telemetry_leaves_training_unchanged(tmp_path):
    """Every watcher on (the defaults) or off (`debug=quiet`: no logger, telemetry or pictures): the same weights."""
    weights = []
    for overrides in (QUIET, ["debug=quiet"]):
        cfg = compose_train(*overrides, "trainer.max_epochs=12", output_dir=tmp_path / str(len(weights)))
        datamodule, model, trainer = build(cfg)
        trainer.fit(model, datamodule=datamodule)
        weights.append(model.net.state_dict())
    for name, value in weights[0].items():
        assert torch.equal(value, weights[1][name]), name
