"""`model.compile=true`: the network is compiled for training; checkpoints keep its own keys, resume stays exact.

torch.compile on the CPU generates C++ and needs a C compiler; each run
compiles its network afresh (a few seconds at least), hence slow.
"""

import shutil
from pathlib import Path

import pytest
import torch
from torch._dynamo.utils import counters

from backprop_lab.train import build
from backprop_lab.train import train as run_train_task

from helpers import compose_train, read_metrics

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="needs a C compiler"),
]

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


@pytest.fixture(autouse=True)
def compiler_left_clean():
    yield
    fresh_compiler()


def train_compiled(run_dir: Path, *overrides: str) -> dict[str, torch.Tensor]:
    fresh_compiler()
    run_train_task(compose_train(*SETUP, "model.compile=true", *overrides, output_dir=run_dir))
    assert read_metrics(run_dir)["status"] == "success"
    assert counters["stats"]["unique_graphs"] > 0, "nothing was compiled"
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


def test_a_compiled_runs_checkpoint_loads_into_an_uncompiled_model_and_back(tmp_path):
    state = train_compiled(tmp_path / "compiled", "trainer.max_epochs=2")
    assert not [key for key in state if "_orig_mod" in key]

    _, eager, _ = build(compose_train(*SETUP))
    assert not eager.hparams.compile
    eager.load_state_dict(state)  # strict: the very keys of an uncompiled model

    _, compiled, _ = build(compose_train(*SETUP, "model.compile=true"))
    compiled.compile_net()  # as fit does
    compiled.load_state_dict(eager.state_dict())
    x = torch.rand(5, 2)
    torch.testing.assert_close(compiled(x), eager(x))


def test_a_resumed_compiled_run_ends_exactly_where_the_uninterrupted_one_does(tmp_path):
    straight = train_compiled(tmp_path / "straight", "trainer.max_epochs=4")
    train_compiled(tmp_path / "first", "trainer.max_epochs=2")
    resumed = train_compiled(tmp_path / "resumed", "trainer.max_epochs=4", f"resume={tmp_path / 'first'}")
    assert read_metrics(tmp_path / "resumed")["global_step"] == read_metrics(tmp_path / "straight")["global_step"]
    for name, value in straight.items():
        if name.startswith("net."):
            assert torch.equal(resumed[name], value), name
