"""Two fits of case 2 in one process, taking turns step by step: what one template option costs per step.

    python -m benchmarks.paired_fits --rounds 3 "" "~callbacks.update_telemetry"
    python -m benchmarks.paired_fits "" lightning          # the default config against Lightning alone

Each side is `lightning` (Lightning alone) or the template with these
overrides ("" for the default config). Both fits run in threads of this
process and take turns at every step through the same ring as the benchmark's
workers (`turns.py`), so they meet the same machine speed; each round prints
A's time per step over B's (wall, and CPU of the whole process during A's
steps), and the end their medians. In one process the two sides share
imports and memory: use it for time per step, never for memory.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median

import lightning as L
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from backprop_lab.train import build

from benchmarks import lightning_alone
from benchmarks.settings import Sizes
from benchmarks.specs import hand_spec
from benchmarks.step_clock import StepClock
from benchmarks.turns import Seat, Turn, hand_out_turns

ROOT = Path(__file__).resolve().parents[1]


def case_overrides(sizes: Sizes, steps: int) -> list[str]:
    """Case 2's config (see `step_cases.throughput_case`), one epoch cut to `steps` full batches."""
    return [
        "torch_threads=1",
        "trainer.accelerator=cpu",
        f"data.batch_size={sizes.batch_size}",
        "trainer.max_epochs=1",
        "data=noisy_xor",
        f"data.n_samples={round(sizes.n_train / 0.98)}",
        "data.val_fraction=0.01",
        "data.test_fraction=0.01",
        f"model.net.hidden=[{','.join(map(str, sizes.hidden))}]",
        f"+trainer.limit_train_batches={steps}",
    ]


def composed(overrides: list[str], output_dir: str) -> object:
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose(config_name="train", overrides=[f"paths.output_dir={output_dir}", *overrides])


def side(name: str, base: list[str], hand: dict, clock: StepClock, folder: str) -> Callable[[], L.Trainer]:
    """A function that fits this side with `clock` among its callbacks and returns its trainer."""
    if name == "lightning":
        x, y = hand["data"]

        def fit() -> L.Trainer:
            torch.manual_seed(hand["seed"])
            trainer = lightning_alone.bare_trainer("cpu", clock, hand)
            module = lightning_alone.PlainModule(lightning_alone.sequential(hand, x.shape[1:]), hand)
            trainer.fit(module, train_dataloaders=lightning_alone.template_loader(x, y, hand))
            return trainer

        return fit
    datamodule, model, trainer = build(composed([*base, *name.split()], folder))
    trainer.callbacks.append(clock)
    return lambda: trainer.fit(model, datamodule=datamodule) or trainer


def one_round(names: tuple[str, str], base: list[str], hand: dict, warmup: int) -> list[dict]:
    """Both fits, taking turns; each side's clock reading."""
    pipes = [(os.pipe(), os.pipe()) for _ in names]
    seats = {str(i): Seat(go[1], ready[0]) for i, (go, ready) in enumerate(pipes)}
    turns = [Turn(go[0], ready[1]) for go, ready in pipes]
    clocks = [StepClock(warmup, turn) for turn in turns]
    readings: list[dict] = [{}, {}]
    with tempfile.TemporaryDirectory(prefix="paired-") as folder:
        fits = [side(names[i], base, hand, clocks[i], f"{folder}/{i}") for i in range(2)]

        def run(i: int) -> None:
            readings[i] = clocks[i].reading(fits[i]())
            turns[i].finish()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        hand_out_turns(seats, time.monotonic() + 1800)
        for thread in threads:
            thread.join()
    for fds in pipes:
        for fd in (*fds[0], *fds[1]):
            os.close(fd)
    return readings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help='"lightning", or the template\'s overrides ("" for its default config)')
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=239, help="full batches of the epoch (case 2 has 239)")
    args = parser.parse_args(argv)
    sizes = Sizes()
    if args.rounds < 1 or args.steps <= sizes.throughput_warmup:
        parser.error(f"--rounds must be at least 1 and --steps more than the {sizes.throughput_warmup} of warm-up")
    torch.set_num_threads(1)
    base = case_overrides(sizes, args.steps)
    with tempfile.TemporaryDirectory(prefix="paired-") as folder:
        cfg = composed(base, folder)
    datamodule = instantiate(cfg.data)
    datamodule.setup("fit")
    rows = datamodule.train_dataloader().dataset  # the template's TensorRows: both sides draw the same batches
    x, y = rows.x, rows.y
    hand = {**hand_spec(cfg), "data": (x, y), "max_batches": args.steps}
    wall, cpu = [], []
    for i in range(args.rounds):
        a, b = one_round((args.a, args.b), base, hand, sizes.throughput_warmup)
        wall.append((a["wall_s"] / a["steps"]) / (b["wall_s"] / b["steps"]))
        cpu.append((a["cpu_s"] / a["steps"]) / (b["cpu_s"] / b["steps"]))
        per_step = [1e3 * r["wall_s"] / r["steps"] for r in (a, b)]
        ratios = f"A/B wall {wall[-1]:.3f}, CPU {cpu[-1]:.3f}"
        print(f"round {i + 1}: A {per_step[0]:.2f} ms/step, B {per_step[1]:.2f}; {ratios}", flush=True)
    print(
        f"A={args.a!r} over B={args.b!r}, time per step, median of {args.rounds} rounds: wall {median(wall):.3f} "
        f"({min(wall):.3f}-{max(wall):.3f}), CPU {median(cpu):.3f} ({min(cpu):.3f}-{max(cpu):.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
