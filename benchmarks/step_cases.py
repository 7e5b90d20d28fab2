"""Cases 1, 2, 4 and 5: the template's steps against Lightning alone and the plain loop, each in its own process.

1. `xor`: time per optimizer step on XOR, full batch, with the default
   config (its callbacks and logging) and with everything off.
2. `throughput`: samples per second over one epoch of a million noisy XOR
   points, MLP 2-64-64-1, batch 4096; and each side's peak memory.
4. `wide`: the same over a million rows of 64 features in 10 classes, MLP
   64-256-256-10, batch 4096 (timed over 60 steps after the warm-up): a
   network whose math outweighs the loop.
5. `digits_cnn`: `experiment=digits_cnn` (a conv net on 1x8x8 images), its first epoch untimed.

Cases 2, 4 and 5 run the template without the lab's callbacks
(`case_configs.LAB_CALLBACKS_OFF`). With `compile`, cases 2 and 4 also run
every side compiled (`model.compile=true`, `torch.compile(net)`) in the same rounds.
"""

import math
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from backprop_lab.data.xor import XOR_INPUTS, XOR_TARGETS

from benchmarks import case_configs as configs
from benchmarks.processes import worker, workers_taking_turns
from benchmarks.report import SIDES, row
from benchmarks.rounds import alternate, paired_ratio, paired_ratios
from benchmarks.settings import Settings
from benchmarks.specs import composed, hand_spec, same_loss, saved_train_split


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


def per_second(result: dict, wall: str = "wall_s") -> float:
    return result["samples"] / result[wall]


def cpu_ratios(runs: dict[str, list[dict]], template: str = "template", cpu: str = "cpu_s") -> dict[str, float]:
    """Template over each other side in CPU seconds per sample, per round: steadier than wall time on a busy machine."""
    cost = {side: [r[cpu] / (r["samples"] or r["steps"]) for r in runs[side]] for side in SIDES}
    cost["template"] = [r[cpu] / (r["samples"] or r["steps"]) for r in runs[template]]
    return {other: paired_ratio(cost["template"], cost[other]) for other in ("lightning", "plain")}


def xor_case(settings: Settings) -> list[dict]:
    """Case 1: time per full-batch step on XOR with the default config, and with everything off."""
    s = settings.sizes
    steps = [*settings.common, f"trainer.max_epochs={s.xor_steps}", f"+trainer.max_steps={s.xor_steps}"]
    cfg = composed(settings, [])
    passes = cfg.data.passes_per_epoch  # the same epochs on every side: Lightning's per-epoch work included
    hand = {**hand_spec(cfg), "steps": s.xor_steps, "warmup": s.xor_warmup, "passes": passes}
    hand |= {"epochs": math.ceil(s.xor_steps / passes), "data": {"x": XOR_INPUTS, "y": XOR_TARGETS}}
    specs = {
        "template": {"side": "template", "overrides": steps, "warmup": s.xor_warmup},
        "everything off": {"side": "template", "overrides": steps + configs.EVERYTHING_OFF, "warmup": s.xor_warmup},
        "lightning": {**hand, "side": "lightning"},
        "plain": hand,
    }
    runs = run_rounds(settings, specs)
    default = values(runs, per_step)
    off = {**default, "template": [per_step(r) for r in runs["everything off"]]}
    return [
        row("1. XOR step, default callbacks and logging", "µs/step", default, "reported", cpu=cpu_ratios(runs)),
        row("1. XOR step, everything off", "µs/step", off, "reported", cpu=cpu_ratios(runs, "everything off")),
    ]


def sides(settings: Settings, cfg: Any, overrides: list[str], data: dict, **hand: Any) -> dict[str, dict[str, Any]]:
    """The template (these overrides) and the hand-built sides (its network, optimizer and saved train split)."""
    out_features = data["classes"] if data["classes"] > 2 else 1
    spec = {**hand_spec(cfg, out_features), "data": {k: v for k, v in data.items() if k in ("path", "source")}, **hand}
    specs = {
        "template": {"side": "template", "overrides": overrides, "warmup": spec["warmup"]},
        "lightning": {**spec, "side": "lightning"},
        "plain": spec,
    }
    if settings.compile:
        specs["template compiled"] = {**specs["template"], "overrides": [*overrides, "model.compile=true"]}
        specs |= {f"{side} compiled": {**specs[side], "compile": True} for side in ("lightning", "plain")}
    return specs


def memory_rows(settings: Settings, title: str, runs: dict[str, list[dict]]) -> list[dict]:
    target = "<= 1.05x Lightning alone"
    rows = [row(f"{title}: peak memory (RSS)", "MiB", values(runs, lambda r: r["peak_rss_mb"]), target)]
    if settings.accelerator == "gpu":
        peak = values(runs, lambda r: r["peak_cuda_mb"])
        rows.append(row(f"{title}: peak CUDA memory (torch's allocations)", "MiB", peak, target))
    return rows


def epoch_case(settings: Settings, title: str, overrides: list[str], steps: int | None = None) -> list[dict]:
    """One epoch's full batches (or `steps` of them) on every side after a warm-up; samples/s and peak memory.

    The last, smaller batch of the epoch is left out: a compiled network would
    compile once more for its shape, inside the timed steps.
    """
    s = settings.sizes
    overrides = [*settings.common, f"data.batch_size={s.batch_size}", "trainer.max_epochs=1", *overrides]
    overrides += configs.LAB_CALLBACKS_OFF
    cfg = composed(settings, overrides)
    with tempfile.TemporaryDirectory(prefix="benchmark-") as folder:
        data = saved_train_split(cfg, folder)
        full_batches = data["rows"] // s.batch_size
        limit = min(full_batches, s.throughput_warmup + steps) if steps else full_batches
        overrides.append(f"+trainer.limit_train_batches={limit}")
        specs = sides(settings, cfg, overrides, data, warmup=s.throughput_warmup, max_batches=limit)
        runs = run_rounds(settings, specs)
    target = ">= 0.97x Lightning alone"
    rows = [row(title, "samples/s", values(runs, per_second), target, cpu=cpu_ratios(runs))]
    rows += memory_rows(settings, title, runs)
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


def throughput_case(settings: Settings) -> list[dict]:
    """Case 2: noisy XOR, a million points, 2-64-64-1, batch 4096."""
    s = settings.sizes
    shape = "-".join(map(str, (2, *s.hidden, 1)))
    title = f"2. Noisy XOR, {s.n_train:,} points, batch {s.batch_size}, {shape}"
    return epoch_case(settings, title, configs.throughput_overrides(s))


def wide_case(settings: Settings) -> list[dict]:
    """Case 4 (the realistic one): 64-feature blobs in 10 classes, a million rows, 64-256-256-10, Adam, batch 4096."""
    s = settings.sizes
    shape = "-".join(map(str, (s.wide_features, *s.wide_hidden, s.wide_classes)))
    title = f"4. Blobs, {s.wide_train:,} rows, {s.wide_classes} classes, batch {s.batch_size}, {shape}"
    if s.wide_steps:
        title += f", {s.wide_steps} steps"
    return epoch_case(settings, title, configs.wide_overrides(s), s.wide_steps)


def digits_cnn_case(settings: Settings) -> list[dict]:
    """Case 5: `experiment=digits_cnn` as it ships, every batch of every epoch, the first epoch untimed.

    Throughput counts the training steps; the work between epochs (the
    template's validation, checkpoints and epoch logging, which Lightning
    alone does not do) is left out of it and reported in a row of its own.
    A fourth side, Lightning alone tracking the training accuracy as the
    template does (a torchmetrics object logged with `self.log`), is the
    floor under the template's own logging, in the same rounds.
    """
    overrides = [*settings.common, *configs.digits_cnn_overrides(settings.sizes), *configs.LAB_CALLBACKS_OFF]
    cfg = composed(settings, overrides)
    with tempfile.TemporaryDirectory(prefix="benchmark-") as folder:
        data = {**saved_train_split(cfg, folder), "source": "sklearn.datasets.load_digits"}
        first_epoch = math.ceil(data["rows"] / cfg.data.batch_size)
        epochs = cfg.trainer.max_epochs
        specs = sides(settings, cfg, overrides, data, warmup=first_epoch, epochs=epochs)
        specs["lightning accuracy"] = {**specs["lightning"], "log_accuracy": True}
        runs = run_rounds(settings, specs)
    title = f"5. digits_cnn, {data['rows']:,} images 1x8x8, batch {cfg.data.batch_size}, {epochs} epochs"
    steps = values(runs, lambda r: per_second(r, "steps_wall_s"))
    floor = {
        "template": steps["template"],
        "lightning": [per_second(r, "steps_wall_s") for r in runs["lightning accuracy"]],
    }
    target = ">= 0.97x Lightning alone"
    return [
        row(f"{title}: training steps", "samples/s", steps, target, cpu=cpu_ratios(runs, cpu="steps_cpu_s")),
        row(f"{title}: training steps, against Lightning alone logging the accuracy too", "samples/s", floor, "floor"),
        row(f"{title}: steps and the work between epochs", "samples/s", values(runs, per_second), "reported"),
        *memory_rows(settings, title, runs),
    ]
