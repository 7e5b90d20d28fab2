"""Running the sides: settings, one worker process per side, the composed config, result rows."""

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

import backprop_lab
from backprop_lab.benchmark.worker import RESULT_MARK


@dataclass
class Sizes:
    xor_steps: int = 2000
    xor_warmup: int = 200
    n_train: int = 1_000_000
    batch_size: int = 4096
    hidden: tuple[int, ...] = (64, 64)
    throughput_warmup: int = 10
    cold_start_overrides: tuple[str, ...] = ()


SMOKE = Sizes(40, 10, 20_000, 1024, (16, 16), 2, ("trainer.max_epochs=2",))


@dataclass
class Settings:
    root: Path
    repeats: int = 5
    threads: int = 1
    accelerator: str = "cpu"
    sizes: Sizes = field(default_factory=Sizes)

    @property
    def common(self) -> list[str]:
        return [f"torch_threads={self.threads}", f"trainer.accelerator={self.accelerator}"]


def _env() -> dict[str, str]:
    """The children import this very package, whichever checkout the parent runs from."""
    src = str(Path(backprop_lab.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}


def timed_run(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; return it with its wall time and its CPU time (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed with exit code {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc, wall, cpu


def worker(spec: dict[str, Any], settings: Settings) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="benchmark-") as output_dir:
        spec = {**spec, "output_dir": output_dir, "configs": str(settings.root / "configs")}
        spec.update(threads=settings.threads, accelerator=settings.accelerator)
        command = [sys.executable, "-m", "backprop_lab.benchmark.worker", json.dumps(spec)]
        proc, _, _ = timed_run(command, settings.root)
    line = next(line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK))
    return json.loads(line[len(RESULT_MARK) :])


def composed(settings: Settings, overrides: list[str]) -> DictConfig:
    with initialize_config_dir(config_dir=str(settings.root / "configs"), version_base="1.3"):
        return compose(config_name="train", overrides=["paths.output_dir=unused", *overrides])


def plain_spec(cfg: DictConfig) -> dict[str, Any]:
    """What the plain loop needs to train the same network with the same optimizer from the same seed."""
    kwargs = OmegaConf.to_container(cfg.optimizer, resolve=True)
    target = kwargs.pop("_target_")
    kwargs.pop("_partial_", None)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return {
        "side": "plain",
        "seed": cfg.seed,
        "hidden": list(cfg.model.net.hidden),
        "activation": cfg.model.net.activation,
        "optimizer": target,
        "optimizer_kwargs": kwargs,
        "batch_size": cfg.data.batch_size,
    }


def same_loss(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-5)


def row(measure: str, unit: str, template: list[float], plain: list[float] | None, target: str, **extra: Any) -> dict:
    """A table row: each side's median and the ratio template / plain.

    The ratio is the median of the per-round ratios: a round runs every side
    once, one after the other, so its template and plain runs are a minute or
    so apart. This machine's speed drifts by tens of percent over minutes
    (other tenants on its cores); runs of one round share most of the drift,
    so their ratio moves much less than either side's median.
    """
    t = median(template)
    p = median(plain) if plain else None
    paired = [a / b for a, b in zip(template, plain, strict=True)] if plain else None
    return {
        "measure": measure,
        "unit": unit,
        "template": t,
        "plain": p,
        "ratio": median(paired) if paired else None,
        "ratio_of_medians": t / p if p else None,
        "paired_ratios": paired,
        "target": target,
        "template_runs": template,
        "plain_runs": plain,
        **extra,
    }
