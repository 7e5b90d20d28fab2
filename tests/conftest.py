"""Shared helpers: run the real entry point, compose configs, read run folders back."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TRAIN_SCRIPT = ROOT / "scripts" / "train.py"

# Keeps subprocess output short and runs quiet: no progress bars in test logs.
QUIET = ["~callbacks.progress_bar", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]


def run_script(script: Path, *args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run one of scripts/*.py as a user would, in a fresh interpreter."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def train_run(tmp_path: Path) -> Callable[..., tuple[subprocess.CompletedProcess, Path]]:
    """Run `scripts/train.py` with overrides into a fresh run folder; return (process, run folder)."""
    counter = iter(range(1000))

    def run(*overrides: str, quiet: bool = True) -> tuple[subprocess.CompletedProcess, Path]:
        run_dir = tmp_path / f"run{next(counter)}"
        args = [*(QUIET if quiet else []), f"hydra.run.dir={run_dir}", *overrides]
        return run_script(TRAIN_SCRIPT, *args), run_dir

    return run


@pytest.fixture(scope="module")
def single_torch_thread():
    """Tiny tensors: torch's intra-op thread pool only adds overhead (most of a step on a small, busy machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def compose_train(*overrides: str, output_dir: Path | str = "unused") -> DictConfig:
    """Compose the train config as Hydra would, without running it."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="train", overrides=[f"paths.output_dir={output_dir}", *overrides])


def read_metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())
