"""Fixtures shared by the tests; the helpers they use live in tests/helpers.py."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import QUIET, TRAIN_SCRIPT, run_in_process, run_script

TrainRun = Callable[..., tuple[subprocess.CompletedProcess, Path]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first: the workers then share the long ones, instead of one worker ending on them alone.

    Before them the MLflow ones: at the front of the first worker's share, so that worker alone imports MLflow.
    """
    items.sort(key=lambda item: (item.get_closest_marker("mlflow") is None, item.get_closest_marker("slow") is None))


@pytest.fixture(scope="session", autouse=True)
def single_torch_thread():
    """Tiny tensors: torch's intra-op thread pool only adds overhead (most of a step on a small, busy machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _train_runner(tmp_path: Path, fresh_process: bool) -> TrainRun:
    counter = iter(range(1000))

    def run(*overrides: str, quiet: bool = True) -> tuple[subprocess.CompletedProcess, Path]:
        run_dir = tmp_path / f"run{next(counter)}"
        args = [*(QUIET if quiet else []), f"hydra.run.dir={run_dir}", *overrides]
        if fresh_process:
            return run_script(TRAIN_SCRIPT, *args), run_dir
        return run_in_process(TRAIN_SCRIPT, *args), run_dir

    return run


@pytest.fixture
def train_run(tmp_path: Path) -> TrainRun:
    """`python scripts/train.py <overrides>` run in this process into a fresh run folder; (result, run folder)."""
    return _train_runner(tmp_path, fresh_process=False)


@pytest.fixture
def train_process(tmp_path: Path) -> TrainRun:
    """The same in a fresh interpreter: for what only a real process shows (the exit code of `__main__`)."""
    return _train_runner(tmp_path, fresh_process=True)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One default training run (it solves XOR), shared by the tests that only read a run folder: never write in it."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    proc = run_in_process(TRAIN_SCRIPT, *QUIET, f"hydra.run.dir={run_dir}")
    assert proc.returncode == 0, proc.stderr
    return run_dir
