"""Cases 1, 2 and 4: the template's steps against Lightning alone and the plain loop, each in its own process.

1. `xor`: time per optimizer step on XOR, full batch, with the default
   config (its callbacks and logging) and with everything off.
2. `throughput`: samples per second over one epoch of a million noisy XOR
   points, MLP 2-64-64-1, batch 4096; and each side's peak memory.
4. `wide`: the same over a million rows of 64 features in 10 classes, MLP
   64-256-256-10, batch 4096 (timed over 60 steps after the warm-up): a
   network whose math outweighs the loop.

With `compile`, cases 2 and 4 also run every side with its network
compiled (`model.compile=true` for the template, `torch.compile(net)` for the
others) in the same rounds.
"""

import sys
import tempfile
from collections.abc import Callable
from typing import Any

import torch

from backprop_lab.data.xor import XOR_INPUTS, XOR_TARGETS

from benchmarks.processes import worker, workers_taking_turns
from benchmarks.report import SIDES, row
from benchmarks.rounds import alternate, paired_ratio, paired_ratios
from benchmarks.settings import Settings, Sizes
from benchmarks.specs import composed, hand_spec, same_loss, saved_train_split

# Everything Lightning adds beyond the loop itself, turned off: the template's "everything off".
EVERYTHING_OFF = ["debug=bare"]


def run_rounds(settings: Settings, specs: dict[str, dict[str, Any]]) -> dict[str, list[dict]]:
    """Every side's worker once per round: all at once taking turns step by step (`turns.py`), or one after the
    other (`settings.turns` false). Any side ending at another loss than the plain loop's fails."""
    if settings.turns:
        rounds = []
        for i in range(settings.repeats):
            print(f"round {i + 1}/{settings.repeats}: {', '.join(specs)}, taking turns", file=sys.stderr, flush=True)
            rounds.append(workers_taking_turns(specs, settings))
        runs = {key: [results[key] for results in rounds] for key in specs}
    else:
        sides = {key: (lambda i, spec=spec: worker(spec, settings)) for key, spec in specs.items()}
        runs = alternate(sides, settings.repeats)
    for key, results in runs.items():
        plain = runs["plain compiled" if key.endswith("compiled") else "plain"]
        for mine, theirs in zip(results, plain, strict=True):
            if not same_loss(mine["loss"], theirs["loss"]):
                raise RuntimeError(f"{key} ended at loss {mine['loss']}, the plain loop at {theirs['loss']}")
    return runs


def values(runs: dict[str, list[dict]], value: Callable[[dict], float], suffix: str = "") -> dict[str, list[float]]:
    return {side: [value(r) for r in runs[side + suffix]] for side in SIDES}


def per_step(result: dict) -> float:
    return 1e6 * result["wall_s"] / result["steps"]


def per_second(result: dict) -> float:
    return result["samples"] / result["wall_s"]


def cpu_ratios(runs: dict[str, list[dict]], template: str = "template") -> dict[str, float]:
    """Template over each other side in CPU seconds per sample, per round: steadier than wall time on a busy machine."""
    cost = {side: [r["cpu_s"] / (r["samples"] or r["steps"]) for r in runs[side]] for side in SIDES}
    cost["template"] = [r["cpu_s"] / (r["samples"] or r["steps"]) for r in runs[template]]
    return {other: paired_ratio(cost["template"], cost[other]) for other in ("lightning", "plain")}


def xor_case(settings: Settings) -> list[dict]:
    """Case 1: time per full-batch step on XOR with the default config, and with everything off."""
    s = settings.sizes
    steps = [*settings.common, f"trainer.max_epochs={s.xor_steps}", f"+trainer.max_steps={s.xor_steps}"]
    hand = {**hand_spec(composed(settings, [])), "steps": s.xor_steps, "warmup": s.xor_warmup}
    hand["data"] = {"x": XOR_INPUTS, "y": XOR_TARGETS}
    specs = {
        "template": {"side": "template", "overrides": steps, "warmup": s.xor_warmup},
        "everything off": {"side": "template", "overrides": steps + EVERYTHING_OFF, "warmup": s.xor_warmup},
        "lightning": {**hand, "side": "lightning"},
        "plain": hand,
    }
    runs = run_rounds(settings, specs)
    default = values(runs, per_step)
    off = {**default, "template": [per_step(r) for r in runs["everything off"]]}
    return [
        row(
            "1. XOR step, default callbacks and logging",
            "µs/step",
            default,
            "<= 2x Lightning alone",
            cpu=cpu_ratios(runs),
        ),
        row(
            "1. XOR step, everything off",
            "µs/step",
            off,
            "<= 1.1x Lightning alone",
            cpu=cpu_ratios(runs, "everything off"),
        ),
    ]


def epoch_case(
    settings: Settings, title: str, overrides: list[str], out_features: int, target: str, steps: int | None = None
) -> list[dict]:
    """One epoch's full batches (or `steps` of them) on every side after a warm-up; samples/s and peak memory.

    The last, smaller batch of the epoch is left out: a compiled network would
    compile once more for its shape, inside the timed steps.
    """
    s = settings.sizes
    overrides = [*settings.common, f"data.batch_size={s.batch_size}", "trainer.max_epochs=1", *overrides]
    cfg = composed(settings, overrides)
    with tempfile.TemporaryDirectory(prefix="benchmark-") as folder:
        hand = {**hand_spec(cfg, out_features), "warmup": s.throughput_warmup, "data": saved_train_split(cfg, folder)}
        full_batches = hand["data"].pop("rows") // s.batch_size
        hand["max_batches"] = min(full_batches, s.throughput_warmup + steps) if steps else full_batches
        overrides.append(f"+trainer.limit_train_batches={hand['max_batches']}")
        specs = {
            "template": {"side": "template", "overrides": overrides, "warmup": s.throughput_warmup},
            "lightning": {**hand, "side": "lightning"},
            "plain": hand,
        }
        if settings.compile:
            specs["template compiled"] = {**specs["template"], "overrides": [*overrides, "model.compile=true"]}
            specs |= {f"{side} compiled": {**specs[side], "compile": True} for side in ("lightning", "plain")}
        runs = run_rounds(settings, specs)
    memory = values(runs, lambda r: r["peak_rss_mb"])
    rows = [
        row(title, "samples/s", values(runs, per_second), target, cpu=cpu_ratios(runs)),
        row(f"{title}: peak memory (RSS)", "MiB", memory, "<= 1.05x Lightning alone"),
    ]
    if settings.accelerator == "gpu":
        peak = values(runs, lambda r: r["peak_cuda_mb"])
        rows.append(row(f"{title}: peak CUDA memory (torch's allocations)", "MiB", peak, "<= 1.05x Lightning alone"))
    if settings.compile:
        compiled, eager = values(runs, per_second, " compiled"), values(runs, per_second)
        process = values(runs, lambda r: r["process_s"], " compiled"), values(runs, lambda r: r["process_s"])
        extra = {k: [a - b for a, b in zip(process[0][k], process[1][k], strict=True)] for k in SIDES}
        rows += [
            row(f"{title}, compiled", "samples/s", compiled, target),
            row(f"{title}: compiled / eager", "x", {k: paired_ratios(compiled[k], eager[k]) for k in SIDES}, "", False),
            row(f"{title}: whole process, compiled - eager", "s", extra, "", False),
        ]
    return rows


def throughput_overrides(s: Sizes) -> list[str]:
    """Case 2's data and network (`memory_phases.py` runs them too)."""
    # data=noisy_xor holds out 1% each for val and test, so its train split has about n_train points.
    return [
        "data=noisy_xor",
        f"data.n_samples={round(s.n_train / 0.98)}",
        "data.val_fraction=0.01",
        "data.test_fraction=0.01",
        f"model.net.hidden=[{','.join(map(str, s.hidden))}]",
    ]


def throughput_case(settings: Settings) -> list[dict]:
    """Case 2: noisy XOR, a million points, 2-64-64-1, batch 4096."""
    s = settings.sizes
    hidden = ",".join(map(str, s.hidden))
    title = f"2. Noisy XOR, {s.n_train:,} points, batch {s.batch_size}, 2-{hidden.replace(',', '-')}-1"
    return epoch_case(settings, title, throughput_overrides(s), 1, ">= 0.97x Lightning alone")


def wide_centers(classes: int, features: int) -> str:
    """One blob centre per class, drawn once from a fixed seed, as a Hydra list override."""
    centers = torch.randn(classes, features, generator=torch.Generator().manual_seed(0))
    return "[" + ",".join("[" + ",".join(f"{v:.3f}" for v in c.tolist()) + "]" for c in centers) + "]"


def wide_overrides(s: Sizes) -> list[str]:
    """Case 4's data, network and optimizer (`memory_phases.py` runs them too)."""
    return [
        "data=blobs",
        f"data.n_samples={round(s.wide_train / 0.98)}",
        f"data.num_classes={s.wide_classes}",
        f"data.sampler.centers={wide_centers(s.wide_classes, s.wide_features)}",
        "data.noise=2.0",
        "data.val_fraction=0.01",
        "data.test_fraction=0.01",
        f"model.net.hidden=[{','.join(map(str, s.wide_hidden))}]",
        "model.net.activation=relu",
        "optimizer=adam",
        "optimizer.lr=0.001",
    ]


def wide_case(settings: Settings) -> list[dict]:
    """Case 4: 64-feature blobs in 10 classes, a million rows, 64-256-256-10 with ReLU, Adam, batch 4096."""
    s = settings.sizes
    hidden = ",".join(map(str, s.wide_hidden))
    overrides = wide_overrides(s)
    shape = f"{s.wide_features}-{hidden.replace(',', '-')}-{s.wide_classes}"
    title = f"4. Blobs, {s.wide_train:,} rows, {s.wide_classes} classes, batch {s.batch_size}, {shape}"
    if s.wide_steps:
        title += f", {s.wide_steps} steps"
    return epoch_case(settings, title, overrides, s.wide_classes, ">= 0.97x Lightning alone and plain", s.wide_steps)
