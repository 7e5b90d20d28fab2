"""Regenerate every figure and measured table that README.md and docs/*.md show.

    python scripts/make_docs_figures.py                  # everything (about five minutes on two cores)
    python scripts/make_docs_figures.py --only grid      # one part (repeatable): see --help for the parts

Each part runs the commands the docs give, as a user runs them (scripts/train.py
in a fresh process, with a fixed run folder under logs/docs/), then writes
the figure into docs/ and the table into the README or docs page, between the
markers `<!-- make_docs_figures: NAME -->` and `<!-- end make_docs_figures -->`.
No other script writes into docs/.

Every run is pinned to one thread (`torch_threads=1`, and OMP, MKL and
OpenBLAS through the environment), so a figure depends on the commands, not
on the machine's core count. A run that diverges or oscillates amplifies the
float rounding of its first steps: its final loss is quoted by its order of
magnitude (`~1e1`), with its verdict, never by digits.
"""

import argparse
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from backprop_lab.analysis.filmstrip import read_frames, write_filmstrip
from backprop_lab.analysis.landscape_paths import write_landscape_paths
from backprop_lab.analysis.reports import read_job, read_sweep, sweep_best_drop, write_comparison

ROOT = Path(__file__).resolve().parents[1]
DOCS, RUNS = ROOT / "docs", ROOT / "logs" / "docs"
QUIET = ["~callbacks.progress_bar", "trainer.enable_progress_bar=false"]
FILMSTRIP_RUN = [
    "data.passes_per_epoch=1",
    "trainer.max_epochs=40",
    "callbacks.update_telemetry.every_n_steps=1",
    "callbacks.decision_boundary.every_n_epochs=2",
]
FILMSTRIP_STEPS = [0, 6, 10, 14, 18, 22, 26, 40]
LANDSCAPE_RUN = [
    "optimizer=sgd", "optimizer.momentum=0", "optimizer.lr=10",
    "callbacks.loss_landscape.every_n_steps=1", "callbacks.loss_landscape.max_points=null",
]  # fmt: skip
LR_FINDER_RUNS = {
    "default (SGD)": ["lr_finder=range_test"],
    "optimizer=adam": ["lr_finder=range_test", "optimizer=adam", "lr_finder.num_training=200", "lr_finder.max_lr=10"],
}


PINNED = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


def train(*overrides: str) -> None:
    """`python scripts/train.py ...` as the docs write it, on one thread; stops here if it fails."""
    command = [sys.executable, "scripts/train.py", *overrides, *QUIET, "torch_threads=1"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **PINNED})
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{proc.stderr[-3000:]}")


def replace_marked(page: str, name: str, text: str) -> None:
    """Put `text` between the page's `make_docs_figures: name` markers."""
    path = ROOT / page
    pattern = re.compile(rf"(<!-- make_docs_figures: {name} -->\n).*?(<!-- end make_docs_figures -->)", re.S)
    content = path.read_text()
    if not pattern.search(content):
        sys.exit(f"{page} has no '<!-- make_docs_figures: {name} -->' ... '<!-- end make_docs_figures -->' markers")
    path.write_text(pattern.sub(lambda m: m.group(1) + text.rstrip("\n") + "\n" + m.group(2), content))


def save_small_png(source: Path, target: Path, colors: int = 128) -> None:
    """Copy a picture into docs/ as a palette PNG: a fraction of the bytes, the same picture to the eye."""
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=colors).save(target, optimize=True)
    print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KB)")


def grid() -> None:
    """The optimizer grid: docs/optimizer_grid.png, docs/landscape_paths.png and the README's table."""
    sweep = RUNS / "optimizer_grid"
    shutil.rmtree(sweep, ignore_errors=True)
    train("-m", "experiment=optimizer_grid", f"hydra.sweep.dir={sweep}")
    _, picture = write_comparison(sweep)
    save_small_png(picture, DOCS / "optimizer_grid.png")
    paths = write_landscape_paths(sweep)
    if not isinstance(paths, Path):
        sys.exit(f"the grid's jobs drew no shared landscape plane: {paths}")
    save_small_png(paths, DOCS / "landscape_paths.png")
    grid_table(sweep)


def grid_table(sweep: Path) -> None:
    """The README's table of the grid's jobs, from the sweep folder."""
    rows = ["| optimizer | lr | final train loss | test acc | first epoch acc = 1.0 | drop | loss | lr regime |"]
    rows.append("|---|---|---|---|---|---|---|---|")
    results = sorted(read_sweep(sweep), key=lambda r: (r.optimizer, r.lr or 0.0))
    best = sweep_best_drop(results)
    for r in results:
        epoch, regime = r.first_perfect_epoch, r.regime(best)
        drop = "-" if r.drop is None else "rose" if r.behaviour == "diverged" else f"{100 * r.drop:.0f}%"
        rows.append(
            f"| {r.optimizer} | {r.lr:g} | {quoted_loss(r.final_train_loss, regime)} | {r.test_acc:.2f} | "
            f"{'never' if epoch is None else epoch} | {drop} | {r.behaviour} | {regime} |"
        )
    replace_marked("README.md", "optimizer-grid", "\n".join(rows) + "\n")


SEED_SWEEP = ["-m", "experiment=digits", "seed=0,1,2,3,4", "optimizer.lr=0.0003,0.003"]


def seeds() -> None:
    """docs/sweeps.md's comparison over seeds: experiment=digits at two learning rates, five seeds each."""
    from backprop_lab.analysis.seed_groups import seed_table

    sweep = RUNS / "digits_seeds"
    shutil.rmtree(sweep, ignore_errors=True)
    train(*SEED_SWEEP, f"hydra.sweep.dir={sweep}")
    replace_marked("docs/sweeps.md", "digits-seeds", seed_table(read_sweep(sweep)))


def quoted_loss(loss: float, regime: str) -> str:
    """Four digits for a run that trained steadily; the order of magnitude for one too large an lr threw around."""
    if regime != "too large":
        return f"{loss:.4g}"
    return "nan" if not math.isfinite(loss) else f"~1e{round(math.log10(max(loss, 1e-30)))}"


def filmstrip() -> None:
    """The decision boundary as SGD trains the default network: docs/decision_boundary.png."""
    run = RUNS / "xor_filmstrip"
    shutil.rmtree(run, ignore_errors=True)
    train(*FILMSTRIP_RUN, f"hydra.run.dir={run}")
    strip = write_filmstrip(read_frames(run), run / "decision_boundary_filmstrip.png", FILMSTRIP_STEPS)
    save_small_png(strip, DOCS / "decision_boundary.png")


def lr_finder() -> None:
    """The LR finder's suggestions for the two commands of docs/tuning.md, and what training with them reached."""
    rows = ["| command | suggested lr | test acc | first epoch val/acc = 1.0 |", "|---|---|---|---|"]
    for name, overrides in LR_FINDER_RUNS.items():
        run = RUNS / f"lr_finder_{len(rows)}"
        shutil.rmtree(run, ignore_errors=True)
        train(*overrides, f"hydra.run.dir={run}")
        found = json.loads((run / "lr_find.json").read_text())
        metrics = json.loads((run / "metrics.json").read_text())["metrics"]
        solved = read_job(run).first_perfect_epoch
        command = "python scripts/train.py " + " ".join(overrides)
        rows.append(
            f"| `{command}` | {found['suggestion']:.3g} | {metrics['test/acc']:.2f} | "
            f"{'never' if solved is None else solved} |"
        )
        print(f"{name}: suggestion {found['suggestion']:.3g}, test/acc {metrics['test/acc']:.2f}")
    replace_marked("docs/tuning.md", "lr-finder", "\n".join(rows) + "\n")


COST_CASES = {"xor": 5, "digits": 5, "digits_cnn": 5, "wide": 5}  # case: rounds (3 are too few: see docs/telemetry.md)


def telemetry() -> None:
    """What the lab's callbacks cost on XOR and on real models: docs/telemetry.md's table."""
    measured = {}
    for case, rounds in COST_CASES.items():
        out = RUNS / f"telemetry_cost_{case}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "scripts/telemetry_cost.py", "--case", case, "--repeats", str(rounds)]
        if subprocess.run([*command, "--json", str(out)], cwd=ROOT, text=True).returncode != 0:
            sys.exit(f"scripts/telemetry_cost.py --case {case} failed")
        measured[case] = out
    write_telemetry_cost(measured)


def write_telemetry_cost(measured: dict[str, Path]) -> None:
    """The table docs/telemetry.md shows, with how busy the machine was: short runs are noisy."""
    rows = ["| `--case` | rounds | CPU time, lab off | CPU time, lab on | cost in CPU time |", "|---|---|---|---|---|"]
    for case, path in measured.items():
        cost = json.loads(path.read_text())
        off, on = cost["median_off_s_cpu"], cost["median_on_s_cpu"]
        ratio = 100 * (cost["ratio_cpu"] - 1)
        rows.append(f"| {case} | {len(cost['on_s_cpu'])} | {off:.2f} s | {on:.2f} s | **{ratio:+.0f}%** |")
    rows.append("")
    rows.append(
        f"Last measured with the commands above (`make_docs_figures.py --only telemetry` runs them all; "
        f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} at the end): medians of each side's CPU "
        "time, and the median of the per-round ratios."
    )
    replace_marked("docs/telemetry.md", "telemetry-cost", "\n".join(rows) + "\n")


def landscape() -> None:
    """docs/tensorboard.md's zig-zag: plain SGD at a far too large lr on the loss landscape's plane."""
    run = RUNS / "landscape_zigzag"
    shutil.rmtree(run, ignore_errors=True)
    train(*LANDSCAPE_RUN, f"hydra.run.dir={run}")
    save_small_png(run / "landscape" / "plane.png", DOCS / "landscape_plane_zigzag.png")


def screenshots() -> None:
    """TensorBoard as a user sees it (headless Chromium): docs/tensorboard_scalars.png, tensorboard_first_view.png."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("screenshots need Chromium: `apt-get install chromium` (Debian), then run --only screenshots again")
    if not (RUNS / "xor_filmstrip").is_dir():
        filmstrip()
    sweep = RUNS / "three_optimizers"
    shutil.rmtree(sweep, ignore_errors=True)
    train("-m", "optimizer=sgd,adam,rmsprop", f"hydra.sweep.dir={sweep}")
    scalars = "#scalars&tagFilter=update_ratio_log10"
    screenshot(browser, RUNS / "xor_filmstrip", scalars, "1400,900", DOCS / "tensorboard_scalars.png")
    screenshot(browser, sweep, "#custom_scalars", "1400,1300", DOCS / "tensorboard_first_view.png")
    if not (RUNS / "optimizer_grid").is_dir():
        grid()
    screenshot(
        browser, RUNS / "optimizer_grid", "#custom_scalars", "1400,1300", DOCS / "tensorboard_first_view_grid.png"
    )


def screenshot(browser: str, logdir: Path, view: str, size: str, target: Path) -> None:
    """Serve `logdir` with TensorBoard on a free local port, photograph `view`, stop the server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1"]
    server = subprocess.Popen([*command, "--port", str(port), "--load_fast", "false"], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _serves_runs(f"{base}/data/runs"):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"TensorBoard on {logdir} did not start serving its runs within 60 s")
            time.sleep(0.5)
        shot = RUNS / target.name
        options = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={size}"]
        url = f"{base}/?darkMode=false{view}"
        subprocess.run([browser, *options, "--virtual-time-budget=15000", f"--screenshot={shot}", url], check=True,
                       capture_output=True, timeout=180)  # fmt: skip
        save_small_png(shot, target, colors=256)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _serves_runs(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(json.loads(response.read()))
    except OSError:
        return False


PARTS: dict[str, Callable[[], None]] = {
    "grid": grid,
    "filmstrip": filmstrip,
    "landscape": landscape,
    "lr_finder": lr_finder,
    "telemetry": telemetry,
    "screenshots": screenshots,
    "seeds": seeds,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(PARTS), action="append", help="regenerate only this part (repeatable)")
    args = parser.parse_args()
    for name in args.only or PARTS:
        print(f"== {name}", flush=True)
        PARTS[name]()


if __name__ == "__main__":
    main()
