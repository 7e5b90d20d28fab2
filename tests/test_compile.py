"""`model.compile=true`: the network is compiled for training; checkpoints keep its own keys, resume stays exact.

What is tested here is this project's side of compiling: the wrapper stays off
the state dict and a resume restores everything a compiled run needs. Neither
depends on which code the compiler generates, so the tests compile with the
`aot_eager` backend (Dynamo's graph capture and AOTAutograd's forward/backward
split, run by eager kernels) instead of inductor, whose C++ code generation
costs tens of seconds per process on a busy CPU. All runs share one module's
worth of training: three short runs, compiled once.
"""

from functools import partial
from pathlib import Path

import pytest
import torch
from torch._dynamo.utils import counters

from backprop_lab.train import build
from backprop_lab.train import train as run_train_task

from helpers import compose_train, read_metrics

pytestmark = pytest.mark.slow

TELEMETRY = ("update_telemetry", "histograms", "decision_boundary", "hparams", "scalars_layout", "loss_landscape")
# Shuffled mini-batches and Adam's moments: state a resume must restore. No logger, no telemetry: only checkpoints.
SETUP = [
    "optimizer=adam",
    "data.batch_size=2",
    "trainer.accelerator=cpu",
    "logger=none",
    "~callbacks.progress_bar",
    "~callbacks.lr_monitor",
    *(f"~callbacks.{name}" for name in TELEMETRY),
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
]


def fresh_compiler() -> None:
    """Forget every compiled graph, as a new process would start."""
    torch._dynamo.reset()
    counters.clear()


def train_compiled(run_dir: Path, *overrides: str) -> None:
    run_train_task(compose_train(*SETUP, "model.compile=true", *overrides, output_dir=run_dir))
    assert read_metrics(run_dir)["status"] == "success"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """An uninterrupted compiled run of 4 epochs, one of 2 epochs, and that one resumed to 4.

    `torch.compile` stays on `aot_eager` for the module's tests (the module's `setup` included).
    """
    root = tmp_path_factory.mktemp("compiled")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch, "compile", partial(torch.compile, backend="aot_eager"))
        fresh_compiler()
        train_compiled(root / "straight", "trainer.max_epochs=4")
        assert counters["stats"]["unique_graphs"] > 0, "nothing was compiled"
        train_compiled(root / "first", "trainer.max_epochs=2")
        train_compiled(root / "resumed", "trainer.max_epochs=4", f"resume={root / 'first'}")
        yield root
    fresh_compiler()


def last_state(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


def test_a_compiled_runs_checkpoint_loads_into_an_uncompiled_model_and_back(runs):
    state = last_state(runs / "first")
    assert not [key for key in state if "_orig_mod" in key]

    _, eager, _ = build(compose_train(*SETUP))
    assert not eager.hparams.compile
    eager.load_state_dict(state)  # strict: the very keys of an uncompiled model

    _, compiled, trainer = build(compose_train(*SETUP, "model.compile=true"))
    compiled.trainer = trainer
    compiled.setup("fit")  # as fit does: the forward pass compiled
    compiled.load_state_dict(eager.state_dict())
    x = torch.rand(5, 2)
    torch.testing.assert_close(compiled(x), eager(x))


def test_a_resumed_compiled_run_ends_exactly_where_the_uninterrupted_one_does(runs):
    straight, resumed = last_state(runs / "straight"), last_state(runs / "resumed")
    assert read_metrics(runs / "resumed")["global_step"] == read_metrics(runs / "straight")["global_step"]
    for name, value in straight.items():
        if name.startswith("net."):
            assert torch.equal(resumed[name], value), name
