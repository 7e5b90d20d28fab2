"""Case 3: `scripts/train.py` from process start to exit, against a plain script training the same steps.

Also `train.py --help` and `--cfg job`, which import Hydra alone. The
environment is the interpreter that runs the benchmark: run it once from an
environment made by the README's first command and once from the test
environment (SciPy installed) to have both; the table says which it was.
"""

import sys
import tempfile
from pathlib import Path

from benchmarks.processes import timed_run
from benchmarks.report import row
from benchmarks.rounds import alternate
from benchmarks.settings import Settings
from benchmarks.specs import composed, hand_spec


def cold_start_case(settings: Settings) -> list[dict]:
    s = settings.sizes
    train_py = str(settings.root / "scripts" / "train.py")
    overrides = [*settings.common, *s.cold_start_overrides]
    cfg = composed(settings, overrides)
    hand = hand_spec(cfg)
    plain_args = [
        sys.executable,
        str(Path(__file__).with_name("plain_xor_script.py")),
        "--steps",
        str(cfg.trainer.max_epochs * cfg.data.get("passes_per_epoch", 1)),
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

    def train(i: int) -> float:
        with tempfile.TemporaryDirectory(prefix="benchmark-") as run_dir:
            return timed_run([sys.executable, train_py, f"hydra.run.dir={run_dir}", *overrides], settings.root)[1]

    commands = {
        "train": train,
        "plain": lambda i: timed_run(plain_args, settings.root)[1],
        "help": lambda i: timed_run([sys.executable, train_py, "--help"], settings.root)[1],
        "cfg": lambda i: timed_run([sys.executable, train_py, "--cfg", "job"], settings.root)[1],
    }
    times = alternate(commands, settings.repeats, label=lambda name: f"cold start, {name}")
    return [
        row(
            "3. Cold start, default config, process start to exit",
            "s",
            {"template": times["train"], "plain": times["plain"]},
            "<= 1.5x plain",
        ),
        row("3. `train.py --help`", "s", {"template": times["help"]}, "< 1.5 s"),
        row("3. `train.py --cfg job`", "s", {"template": times["cfg"]}, "< 1.5 s"),
    ]
