"""The CUDA machine's check, in one go (about 5 minutes): `python scripts/gpu_check.py --markdown gpu.md`.

    python scripts/gpu_check.py                 # on a machine with a CUDA GPU
    python scripts/gpu_check.py --dry           # the same steps on the CPU, tiny: checks the script

It trains the default config on `trainer=gpu`, then with
`trainer.precision=16-mixed`, `bf16-mixed` and `model.compile=true`, each
`scripts/train.py` in a fresh process, and runs the GPU benchmark cases
(`scripts/benchmark.py --accelerator gpu --cases xor,throughput,wide,digits_cnn`:
template against Lightning alone and the plain loop). It prints one
Markdown report (and writes it to `--markdown`): a table of the runs, then
the benchmark's table. Exits 1 if any step failed.

`--dry` checks the script itself on the CPU, at the least cost: the default
config trains one epoch on `trainer=cpu`, the three variants are listed as
skipped (each would only repeat that fresh process with other overrides;
the tests train bf16-mixed and compiled runs on the CPU in-process), and
the benchmark runs one of its cases (`throughput`) at its smoke sizes.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from backprop_lab.config.cli import whole_number

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scripts" / "train.py"
QUIET = ["~callbacks.progress_bar", "trainer.enable_progress_bar=false"]
# What the GPU check trains beside the default config, each in a fresh process.
VARIANTS = ["trainer.precision=16-mixed", "trainer.precision=bf16-mixed", "model.compile=true"]


def train_runs(dry: bool) -> dict[str, list[str] | str]:
    """The training runs by label: their overrides, or why a dry run skips them."""
    if dry:
        return {
            "default config, trainer=cpu": ["trainer=cpu", "trainer.max_epochs=1"],
            **{label: "skipped in --dry (GPU only)" for label in VARIANTS},
        }
    return {"default config, trainer=gpu": ["trainer=gpu"]} | {label: ["trainer=gpu", label] for label in VARIANTS}


def train_once(label: str, overrides: list[str] | str, folder: Path) -> str:
    """One table row: the run's status, times and test metrics."""
    if isinstance(overrides, str):
        return f"| {label} | {overrides} | - | - | - | - |"
    run_dir = folder / f"run{len(list(folder.iterdir()))}"
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(TRAIN), f"hydra.run.dir={run_dir}", *QUIET, *overrides],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    command = "`python scripts/train.py " + " ".join(overrides) + "`"
    metrics_file = run_dir / "metrics.json"
    if proc.returncode != 0 or not metrics_file.is_file():
        print(proc.stderr[-3000:], file=sys.stderr)
        return f"| {command} | **failed** (exit {proc.returncode}) | {wall:.1f} | - | - | - |"
    record = json.loads(metrics_file.read_text())
    metrics = record.get("metrics", {})
    loss, acc = metrics.get("test/loss"), metrics.get("test/acc")
    return (
        f"| {command} | {record.get('status')} | {wall:.1f} | {record.get('wall_time_s', 0):.1f} | "
        f"{'-' if loss is None else f'{loss:.4f}'} | {'-' if acc is None else f'{acc:.2f}'} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry", action="store_true", help="on the CPU at tiny sizes, to check the script itself")
    parser.add_argument(
        "--repeats", type=whole_number(1, 3), default=3, help="benchmark rounds (default 3, to stay near 5 minutes)"
    )
    parser.add_argument("--markdown", type=Path, help="write the report to this file too")
    args = parser.parse_args()

    lines = [
        "| run | status | process wall s | build, fit, test s | test/loss | test/acc |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        for label, overrides in train_runs(args.dry).items():
            print(f"gpu_check: {label} ...", file=sys.stderr, flush=True)
            lines.append(train_once(label, overrides, Path(tmp)))
    failed = any("**failed**" in line for line in lines)

    cases = "throughput" if args.dry else "xor,throughput,wide,digits_cnn"
    bench = [sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--cases", cases]
    bench += ["--repeats", str(args.repeats), "--accelerator", "cpu" if args.dry else "gpu"]
    bench += ["--smoke"] if args.dry else []
    print(f"gpu_check: {' '.join(bench[1:])} ...", file=sys.stderr, flush=True)
    proc = subprocess.run(bench, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    failed |= proc.returncode != 0
    table = proc.stdout if proc.returncode == 0 else f"**benchmark failed** (exit {proc.returncode})\n"
    report = "\n".join(["## Training runs", "", *lines, "", "## Benchmark", "", table])
    print(report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
