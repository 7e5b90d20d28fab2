"""The benchmark's cases: each side in its own process, the sides alternating, medians compared.

1. `xor`: time per optimizer step on XOR, full batch, the default config
   (with its callbacks and logging, and once with them off).
2. `throughput`: samples per second over one epoch of a million noisy XOR
   points, MLP 2-64-64-1, batch 4096; and each side's peak memory.
3. `cold_start`: `scripts/train.py` from process start to exit, against a
   plain script training the same network for the same steps; `--help` and
   `--cfg job`.
"""

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
from backprop_lab.models.nets import ACTIVATIONS

CASES = ("xor", "throughput", "cold_start")
# Everything Lightning adds beyond the loop itself, turned off.
BARE = [
    "callbacks=none",
    "logger=none",
    "+trainer.enable_checkpointing=false",
    "+trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "+trainer.limit_val_batches=0",
]


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
        proc, _, _ = timed_run([sys.executable, "-m", "backprop_lab.benchmark.worker", json.dumps(spec)], settings.root)
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
    t = median(template)
    p = median(plain) if plain else None
    return {"measure": measure, "unit": unit, "template": t, "plain": p, "ratio": t / p if p else None,
            "target": target, "template_runs": template, "plain_runs": plain, **extra}


def xor_case(settings: Settings) -> list[dict]:
    """Case 1: time per full-batch step on XOR with the default config, callbacks on and off."""
    s = settings.sizes
    steps = [f"trainer.max_epochs={s.xor_steps}", f"+trainer.max_steps={s.xor_steps}"]
    variants = {"default": settings.common + steps, "bare": settings.common + steps + BARE}
    xor = composed(settings, [])
    plain = {**plain_spec(xor), "steps": s.xor_steps, "warmup": s.xor_warmup,
             "data": {"x": xor_inputs(), "y": xor_targets()}}
    runs: dict[str, list[dict]] = {"default": [], "bare": [], "plain": []}
    for _ in range(settings.repeats):
        for name, overrides in variants.items():
            runs[name].append(worker({"side": "template", "overrides": overrides, "warmup": s.xor_warmup}, settings))
        runs["plain"].append(worker(plain, settings))

    def per_step(results: list[dict], key: str) -> list[float]:
        return [1e6 * r[key] / r["steps"] for r in results]

    rows = []
    for name, label, target in (("default", "default callbacks and logging", "<= 1.5"), ("bare", "callbacks, logging, validation off", "")):
        losses_match = all(same_loss(t["loss"], p["loss"]) for t, p in zip(runs[name], runs["plain"]))
        for key, clock in (("wall_s", "wall"), ("cpu_s", "CPU")):
            rows.append(row(f"1. XOR step, {label} ({clock})", "µs/step", per_step(runs[name], key),
                            per_step(runs["plain"], key), target if clock == "wall" else "",
                            losses_match=losses_match,
                            loss={"template": runs[name][-1]["loss"], "plain": runs["plain"][-1]["loss"]}))
    return rows


def xor_inputs() -> list[list[float]]:
    from backprop_lab.data.xor import XOR_INPUTS

    return XOR_INPUTS


def xor_targets() -> list[float]:
    from backprop_lab.data.xor import XOR_TARGETS

    return XOR_TARGETS


def throughput_case(settings: Settings) -> list[dict]:
    """Case 2 (and 4): samples per second over one epoch of noisy XOR; each side's peak memory."""
    s = settings.sizes
    hidden = ",".join(map(str, s.hidden))
    overrides = settings.common + [
        "data=noisy_xor", f"data.n_train={s.n_train}", f"data.batch_size={s.batch_size}",
        f"model.net.hidden=[{hidden}]", "trainer.max_epochs=1",
    ]
    cfg = composed(settings, overrides)
    plain = {**plain_spec(cfg), "warmup": s.throughput_warmup,
             "data": {"n_train": cfg.data.n_train, "noise": cfg.data.noise}}
    template_runs, plain_runs = [], []
    for _ in range(settings.repeats):
        template_runs.append(worker({"side": "template", "overrides": overrides, "warmup": s.throughput_warmup},
                                    settings))
        plain_runs.append(worker(plain, settings))
    losses_match = all(same_loss(t["loss"], p["loss"]) for t, p in zip(template_runs, plain_runs))
    loss = {"template": template_runs[-1]["loss"], "plain": plain_runs[-1]["loss"]}
    rows = []
    for key, clock in (("wall_s", "wall"), ("cpu_s", "CPU")):
        rows.append(row(f"2. Noisy XOR, {s.n_train:,} points, batch {s.batch_size}, 2-{hidden.replace(',', '-')}-1 "
                        f"({clock})", "samples/s", [r["samples"] / r[key] for r in template_runs],
                        [r["samples"] / r[key] for r in plain_runs], ">= 0.97" if clock == "wall" else "",
                        losses_match=losses_match, loss=loss))
    rows.append(row("4. Peak memory (RSS) in case 2", "MiB", [r["peak_rss_mb"] for r in template_runs],
                    [r["peak_rss_mb"] for r in plain_runs], ""))
    return rows


def cold_start_case(settings: Settings) -> list[dict]:
    """Case 3: process start to exit, `scripts/train.py` against a plain script; and `--help`, `--cfg job`."""
    s = settings.sizes
    train_py = str(settings.root / "scripts" / "train.py")
    overrides = [*settings.common, *s.cold_start_overrides]
    cfg = composed(settings, overrides)
    plain_args = [
        sys.executable, str(Path(__file__).with_name("plain_xor_script.py")),
        "--steps", str(cfg.trainer.max_epochs * cfg.data.get("passes_per_epoch", 1)),
        "--hidden", *map(str, cfg.model.net.hidden), "--activation", ACTIVATIONS[cfg.model.net.activation].__name__,
        "--lr", str(cfg.optimizer.lr), "--momentum", str(cfg.optimizer.get("momentum", 0.0)),
        "--seed", str(cfg.seed), "--threads", str(settings.threads),
        "--device", "cuda" if settings.accelerator == "gpu" else "cpu",
    ]
    times: dict[str, list[tuple[float, float]]] = {"train": [], "plain": [], "help": [], "cfg": []}
    for _ in range(settings.repeats):
        with tempfile.TemporaryDirectory(prefix="benchmark-") as run_dir:
            times["train"].append(timed_run([sys.executable, train_py, f"hydra.run.dir={run_dir}", *overrides],
                                            settings.root)[1:])
        times["plain"].append(timed_run(plain_args, settings.root)[1:])
        times["help"].append(timed_run([sys.executable, train_py, "--help"], settings.root)[1:])
        times["cfg"].append(timed_run([sys.executable, train_py, "--cfg", "job"], settings.root)[1:])
    rows = []
    for i, clock in enumerate(("wall", "CPU")):
        def col(name: str, i: int = i) -> list[float]:
            return [t[i] for t in times[name]]

        rows.append(row(f"3. Cold start, default config, process start to exit ({clock})", "s", col("train"),
                        col("plain"), "<= 2" if clock == "wall" else ""))
        rows.append(row(f"3. `train.py --help` ({clock})", "s", col("help"), None, "< 1.5 s" if clock == "wall" else ""))
        rows.append(row(f"3. `train.py --cfg job` ({clock})", "s", col("cfg"), None,
                        "< 1.5 s" if clock == "wall" else ""))
    return rows


RUNNERS = {"xor": xor_case, "throughput": throughput_case, "cold_start": cold_start_case}


def run_cases(names: list[str], settings: Settings) -> list[dict]:
    rows: list[dict] = []
    for name in names:
        print(f"benchmark: running case {name} ({settings.repeats} repeats) ...", file=sys.stderr, flush=True)
        rows += RUNNERS[name](settings)
    return rows
