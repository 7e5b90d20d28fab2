"""Case 3: `scripts/train.py` from process start to exit, against Lightning alone and a plain script.

The two scripts train the same network for the same steps and must end at
the same loss: `lightning_xor_script.py` in a bare Lightning `Trainer` (the
floor any template on Lightning's `Trainer` stands on: importing Lightning
and running its loop), `plain_xor_script.py` with torch alone. Also
`train.py --help` and `--cfg job`, which import Hydra alone. The
environment is the interpreter that runs the benchmark: run it once from an
environment made by the README's first command and once from the test
environment (SciPy installed) to have both; the table says which it was.
"""

import sys
import tempfile
from pathlib import Path
from statistics import median

from benchmarks.processes import timed_run
from benchmarks.report import fmt, row
from benchmarks.rounds import alternate, paired_ratios
from benchmarks.settings import Settings
from benchmarks.specs import composed, hand_spec


def cold_start_case(settings: Settings) -> list[dict]:
    s = settings.sizes
    train_py = str(settings.root / "scripts" / "train.py")
    overrides = [*settings.common, *s.cold_start_overrides]
    cfg = composed(settings, overrides)
    hand = hand_spec(cfg)
    passes = cfg.data.get("passes_per_epoch", 1)
    script_args = [
        "--steps",
        str(cfg.trainer.max_epochs * passes),
        "--passes-per-epoch",  # Lightning's epochs; the plain loop only counts steps
        str(passes),
        "--hidden",
        *map(str, hand["hidden"]),
        "--activation",
        hand["activation"],
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
    here = Path(__file__).parent
    plain_args = [sys.executable, str(here / "plain_xor_script.py"), *script_args]
    lightning_args = [sys.executable, str(here / "lightning_xor_script.py"), *script_args]
    losses: dict[str, set[str]] = {"lightning": set(), "plain": set()}

    def script(side: str, args: list[str]) -> float:
        proc, wall, _ = timed_run(args, settings.root)
        losses[side].update(line for line in proc.stdout.splitlines() if line.startswith("loss "))
        return wall

    def train(i: int) -> float:
        with tempfile.TemporaryDirectory(prefix="benchmark-") as run_dir:
            return timed_run([sys.executable, train_py, f"hydra.run.dir={run_dir}", *overrides], settings.root)[1]

    commands = {
        "train": train,
        "lightning": lambda i: script("lightning", lightning_args),
        "plain": lambda i: script("plain", plain_args),
        "help": lambda i: timed_run([sys.executable, train_py, "--help"], settings.root)[1],
        "cfg": lambda i: timed_run([sys.executable, train_py, "--cfg", "job"], settings.root)[1],
    }
    times = alternate(commands, settings.repeats, label=lambda name: f"cold start, {name}")
    if len(losses["plain"]) != 1 or losses["lightning"] != losses["plain"]:
        raise RuntimeError(
            f"the cold-start scripts trained different math: Lightning {losses['lightning']}, plain {losses['plain']}"
        )
    floor = paired_ratios(times["lightning"], times["plain"])
    floor_text = f"Lightning alone: {fmt(median(floor))}x plain ({fmt(min(floor))}-{fmt(max(floor))})"
    return [
        row(
            "3. Cold start, default config, process start to exit",
            "s",
            {"template": times["train"], "lightning": times["lightning"], "plain": times["plain"]},
            f"reported; {floor_text}",
        ),
        row("3. `train.py --help`", "s", {"template": times["help"]}, "< 1.5 s"),
        row("3. `train.py --cfg job`", "s", {"template": times["cfg"]}, "< 1.5 s"),
    ]
