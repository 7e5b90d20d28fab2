"""The benchmark's cases: each side in its own process, the sides alternating, medians compared.

1. `xor`: time per optimizer step on XOR, full batch, the default config
   (with its callbacks and logging, and once with them off).
2. `throughput`: samples per second over one epoch of a million noisy XOR
   points, MLP 2-64-64-1, batch 4096; and each side's peak memory.
3. `cold_start`: `scripts/train.py` from process start to exit, against a
   plain script training the same network for the same steps; `--help` and
   `--cfg job`.
"""

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from hydra.utils import instantiate

from backprop_lab.benchmark.runner import (
    Settings,
    composed,
    plain_spec,
    row,
    same_loss,
    timed_run,
    worker,
)
from backprop_lab.data.xor import XOR_INPUTS, XOR_TARGETS
from backprop_lab.models.nets import ACTIVATIONS

# Lightning's own floor, under the template: a minimal LightningModule, automatic and manual optimization.
FLOORS = ("automatic", "manual")


def floor_spec(plain: dict, optimization: str) -> dict:
    """The plain side's spec, run instead by a minimal LightningModule in a bare Trainer."""
    return {**plain, "side": "lightning", "optimization": optimization}


# Everything Lightning adds beyond the loop itself, turned off.
BARE = [
    "callbacks=none",
    "logger=none",
    "trainer.enable_checkpointing=false",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "+trainer.limit_val_batches=0",
]


def xor_case(settings: Settings) -> list[dict]:
    """Case 1: time per full-batch step on XOR with the default config, callbacks on and off."""
    s = settings.sizes
    steps = [f"trainer.max_epochs={s.xor_steps}", f"+trainer.max_steps={s.xor_steps}"]
    variants = {"default": settings.common + steps, "bare": settings.common + steps + BARE}
    xor = composed(settings, [])
    plain = {
        **plain_spec(xor),
        "steps": s.xor_steps,
        "warmup": s.xor_warmup,
        "data": {"x": XOR_INPUTS, "y": XOR_TARGETS},
    }
    runs: dict[str, list[dict]] = {name: [] for name in (*variants, *FLOORS, "plain")}
    for _ in range(settings.repeats):
        for name, overrides in variants.items():
            runs[name].append(worker({"side": "template", "overrides": overrides, "warmup": s.xor_warmup}, settings))
        for name in FLOORS:
            runs[name].append(worker(floor_spec(plain, name), settings))
        runs["plain"].append(worker(plain, settings))

    labels = (
        ("default", "default callbacks and logging", "<= 1.5"),
        ("bare", "callbacks, logging, validation off", ""),
        *((name, f"Lightning alone, {name} optimization", "") for name in FLOORS),
    )
    rows = []
    for name, label, target in labels:
        rows += compared(f"1. XOR step, {label}", "µs/step", runs[name], runs["plain"], per_step, target)
    return rows


def per_step(result: dict, clock: str) -> float:
    return 1e6 * result[clock] / result["steps"]


def per_second(result: dict, clock: str) -> float:
    return result["samples"] / result[clock]


def compared(
    measure: str, unit: str, side: list[dict], plain: list[dict], value: Callable[[dict, str], float], target: str
) -> list[dict]:
    """One row per clock (wall, CPU) comparing a side's runs with the plain loop's; the target applies to wall."""
    losses_match = all(same_loss(t["loss"], p["loss"]) for t, p in zip(side, plain, strict=True))
    return [
        row(
            f"{measure} ({clock})",
            unit,
            [value(r, key) for r in side],
            [value(r, key) for r in plain],
            target if clock == "wall" else "",
            losses_match=losses_match,
            loss={"template": side[-1]["loss"], "plain": plain[-1]["loss"]},
        )
        for key, clock in (("wall_s", "wall"), ("cpu_s", "CPU"))
    ]


def throughput_case(settings: Settings) -> list[dict]:
    """Case 2 (and 4): samples per second over one epoch of noisy XOR; each side's peak memory."""
    s = settings.sizes
    hidden = ",".join(map(str, s.hidden))
    # data=noisy_xor holds out 1% each for val and test, so its train split has about n_train points.
    overrides = settings.common + [
        "data=noisy_xor",
        f"data.n_samples={round(s.n_train / 0.98)}",
        "data.val_fraction=0.01",
        "data.test_fraction=0.01",
        f"data.batch_size={s.batch_size}",
        f"model.net.hidden=[{hidden}]",
        "trainer.max_epochs=1",
    ]
    cfg = composed(settings, overrides)
    split_file = Path(tempfile.mkdtemp(prefix="benchmark-")) / "train_split.pt"
    x, y = instantiate(cfg.data).splits["train"]
    torch.save({"x": x, "y": y}, split_file)
    plain = {**plain_spec(cfg), "warmup": s.throughput_warmup, "data": {"path": str(split_file)}}
    runs: dict[str, list[dict]] = {name: [] for name in ("template", *FLOORS, "plain")}
    for _ in range(settings.repeats):
        runs["template"].append(
            worker({"side": "template", "overrides": overrides, "warmup": s.throughput_warmup}, settings)
        )
        for name in FLOORS:
            runs[name].append(worker(floor_spec(plain, name), settings))
        runs["plain"].append(worker(plain, settings))
    template_runs, plain_runs = runs["template"], runs["plain"]
    title = f"2. Noisy XOR, {s.n_train:,} points, batch {s.batch_size}, 2-{hidden.replace(',', '-')}-1"
    rows = []
    for name, label, target in (("template", "", ">= 0.97"), *((f, f", Lightning alone, {f}", "") for f in FLOORS)):
        rows += compared(f"{title}{label}", "samples/s", runs[name], plain_runs, per_second, target)
    rows.append(
        row(
            "4. Peak memory (RSS) in case 2",
            "MiB",
            [r["peak_rss_mb"] for r in template_runs],
            [r["peak_rss_mb"] for r in plain_runs],
            "",
        )
    )
    return rows


def cold_start_case(settings: Settings) -> list[dict]:
    """Case 3: process start to exit, `scripts/train.py` against a plain script; and `--help`, `--cfg job`."""
    s = settings.sizes
    train_py = str(settings.root / "scripts" / "train.py")
    overrides = [*settings.common, *s.cold_start_overrides]
    cfg = composed(settings, overrides)
    plain_args = [
        sys.executable,
        str(Path(__file__).with_name("plain_xor_script.py")),
        "--steps",
        str(cfg.trainer.max_epochs * cfg.data.get("passes_per_epoch", 1)),
        "--hidden",
        *map(str, cfg.model.net.hidden),
        "--activation",
        ACTIVATIONS[cfg.model.net.activation].__name__,
        "--lr",
        str(cfg.optimizer.lr),
        "--momentum",
        str(cfg.optimizer.get("momentum", 0.0)),
        "--seed",
        str(cfg.seed),
        "--threads",
        str(settings.threads),
        "--device",
        "cuda" if settings.accelerator == "gpu" else "cpu",
    ]
    times: dict[str, list[tuple[float, float]]] = {"train": [], "plain": [], "help": [], "cfg": []}
    for _ in range(settings.repeats):
        with tempfile.TemporaryDirectory(prefix="benchmark-") as run_dir:
            times["train"].append(
                timed_run([sys.executable, train_py, f"hydra.run.dir={run_dir}", *overrides], settings.root)[1:]
            )
        times["plain"].append(timed_run(plain_args, settings.root)[1:])
        times["help"].append(timed_run([sys.executable, train_py, "--help"], settings.root)[1:])
        times["cfg"].append(timed_run([sys.executable, train_py, "--cfg", "job"], settings.root)[1:])
    measures = (
        ("train", "Cold start, default config, process start to exit", "<= 2"),
        ("help", "`train.py --help`", "< 1.5 s"),
        ("cfg", "`train.py --cfg job`", "< 1.5 s"),
    )
    rows = []
    for name, label, target in measures:
        for i, clock in enumerate(("wall", "CPU")):
            plain = [t[i] for t in times["plain"]] if name == "train" else None
            rows.append(
                row(f"3. {label} ({clock})", "s", [t[i] for t in times[name]], plain, target if clock == "wall" else "")
            )
    return rows


RUNNERS = {"xor": xor_case, "throughput": throughput_case, "cold_start": cold_start_case}


def run_cases(names: list[str], settings: Settings) -> list[dict]:
    rows: list[dict] = []
    for name in names:
        print(f"benchmark: running case {name} ({settings.repeats} repeats) ...", file=sys.stderr, flush=True)
        rows += RUNNERS[name](settings)
    return rows
