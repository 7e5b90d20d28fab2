"""The benchmark and the GPU check keep working: smoke runs at tiny sizes. Timings are never asserted here.

The only test module that touches `benchmarks/`: through its scripts, and its workers run in this process.
"""

import contextlib
import io
import json
import os
import re
import sys
import tempfile
import threading
import time
from functools import partial

import pytest
import torch
from hydra.utils import instantiate as hydra_instantiate

from helpers import ROOT, run_in_process, run_script

sys.path.insert(0, str(ROOT))  # benchmarks/ sits beside the package, not inside it
from benchmarks import step_cases  # noqa: E402
from benchmarks.processes import worker_spec  # noqa: E402
from benchmarks.rounds import alternate, paired_ratio  # noqa: E402
from benchmarks.turns import Seat, StepTimer, Turn, WorkerStopped, hand_out_turns  # noqa: E402
from benchmarks.worker import run as run_worker  # noqa: E402

BENCHMARK = ROOT / "scripts" / "benchmark.py"


def test_rounds_alternate_the_sides_and_compare_them_round_by_round():
    calls = []

    def side(name: str, times: list[float]):
        return lambda i: calls.append((name, i)) or times[i]

    runs = alternate({"template": side("template", [2.0, 4.0, 6.0]), "plain": side("plain", [1.0, 8.0, 3.0])}, 3)
    assert calls == [("template", 0), ("plain", 0), ("template", 1), ("plain", 1), ("template", 2), ("plain", 2)]
    # Per-round ratios 2, 0.5, 2: their median, not the ratio of the medians (4 / 3).
    assert paired_ratio(runs["template"], runs["plain"]) == 2.0


def seated(names: list[str]) -> tuple[dict[str, Seat], dict[str, Turn]]:
    pipes = {name: (os.pipe(), os.pipe()) for name in names}
    seats = {name: Seat(go[1], ready[0]) for name, (go, ready) in pipes.items()}
    return seats, {name: Turn(go[0], ready[1]) for name, (go, ready) in pipes.items()}


def test_sides_take_turns_one_step_at_a_time_and_their_waits_stay_out_of_their_time():
    seats, turns = seated(["a", "b"])
    order, done, timers, spans = [], [], {}, {}

    def side(name: str, steps: int) -> None:
        timer = timers[name] = StepTimer(turns[name])
        for step in range(steps):
            timer.boundary(torch.device("cpu"), timed=step >= 1)
            if step == 1:
                spans[name] = time.perf_counter()
            order.append(name)
            time.sleep(0.01)
            if timer.timed:
                timer.end(torch.device("cpu"))
        spans[name] = time.perf_counter() - spans[name]
        turns[name].finish()

    threads = [threading.Thread(target=side, args=(name, steps)) for name, steps in (("a", 3), ("b", 5))]
    for thread in threads:
        thread.start()
    hand_out_turns(seats, time.monotonic() + 60, done.append)
    for thread in threads:
        thread.join()
    assert order == ["a", "b", "a", "b", "a", "b", "b", "b"]
    assert done == ["a", "b"]
    # a's two timed steps took 10 ms or more each; b's second step (10 ms or more) ran between them.
    wall, _ = timers["a"].timed_s()
    assert 0.02 <= wall <= spans["a"] - 0.01
    assert turns["a"].waited_s >= 0.02


def test_the_work_between_epochs_is_timed_apart_from_the_steps():
    timer = StepTimer()
    for _ in range(2):
        for index in range(2):
            timer.boundary(torch.device("cpu"), timed=True, new_epoch=index == 0)
            time.sleep(0.01)
            timer.end(torch.device("cpu"))
        time.sleep(0.05)  # an epoch's end: validation, checkpoints
    reading = timer.reading()
    # The epoch end between the two epochs counts in the whole and not in the steps; the last one follows no step.
    assert reading["wall_s"] - reading["steps_wall_s"] >= 0.05
    assert 0.04 <= reading["steps_wall_s"] < reading["wall_s"] - 0.04


def test_lightning_alone_and_the_plain_loop_draw_the_template_s_batches_in_its_order():
    from benchmarks.hand_built import loader
    from benchmarks.lightning_alone import template_loader
    from benchmarks.settings import Settings
    from benchmarks.specs import composed

    cfg = composed(Settings(ROOT), ["data=blobs", "data.n_samples=300", "data.batch_size=32", "seed=3"])

    def template_loader_of_a_fresh_run() -> torch.utils.data.DataLoader:
        datamodule = hydra_instantiate(cfg.data)
        datamodule.setup("fit")
        return datamodule.train_dataloader()

    rows = template_loader_of_a_fresh_run().dataset
    spec = {"seed": cfg.seed, "batch_size": cfg.data.batch_size, "shuffle": cfg.data.shuffle}
    for other in (template_loader(rows.x, rows.y, spec), loader(rows.x, rows.y, spec)):
        template = template_loader_of_a_fresh_run()
        for _ in range(2):  # two epochs: each draws its order from the same seeded generator
            pairs = list(zip(template, other, strict=True))
            assert len(pairs) == 6  # 180 training rows in batches of 32
            assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in pairs)
    assert not torch.equal(next(iter(template))[0], rows.x[:32])  # shuffled, not in the split's order


def test_a_side_that_stops_before_saying_it_is_done_is_named():
    seats, turns = seated(["template", "plain"])
    turns["plain"].take = lambda: None
    os.write(turns["template"].ready_fd, b"r")
    os.write(turns["plain"].ready_fd, b"r")
    os.close(turns["plain"].ready_fd)  # the plain side's process exits at its first step
    with pytest.raises(WorkerStopped, match="'plain' stopped during its steps"):
        threading.Thread(target=lambda: os.read(turns["template"].go_fd, 1) and turns["template"].finish()).start()
        hand_out_turns(seats, time.monotonic() + 60)


def worker_in_this_process(spec: dict, settings) -> dict:
    """A side run here instead of in a fresh interpreter: the same spec, the same result, no 5-10 s of imports.

    Its peak memory is then this process's; the worker's own process is run by the GPU check's dry mode below.
    """
    with tempfile.TemporaryDirectory(prefix="benchmark-") as output_dir, contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()  # the side's console output stays out of the table, as a worker's does
        result = run_worker(worker_spec(spec, settings, output_dir))
        return {**result, "process_s": time.perf_counter() - start}


@pytest.fixture
def workers_here(monkeypatch):
    monkeypatch.setattr(step_cases, "worker", worker_in_this_process)
    # Every side compiled on aot_eager: the table's compiled rows are checked, not inductor's code generation.
    monkeypatch.setattr(torch, "compile", partial(torch.compile, backend="aot_eager"))
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
    torch._dynamo.reset()


@pytest.mark.slow
def test_benchmark_smoke_run_compares_the_template_with_lightning_alone_and_the_plain_loop(tmp_path, workers_here):
    out = tmp_path / "benchmark.json"
    # One side at a time: the sides run in this process here (`workers_here`); taking turns needs a process each.
    args = ["--smoke", "--one-at-a-time", "--repeats", "1", "--cases", "cold_start,wide,digits_cnn", "--compile"]
    args += ["--json", str(out)]
    proc = run_in_process(BENCHMARK, *args, "--markdown", str(tmp_path / "benchmark.md"))
    # Exit 0 also says every side ended at the plain loop's loss: they train the same math from the same weights.
    assert proc.returncode == 0, proc.stderr[-3000:]

    rows = json.loads(out.read_text())["rows"]
    measures = [row["measure"] for row in rows]
    for expected in ("3. Cold start", "3. `train.py --help`", "4. Blobs", "peak memory (RSS)", "compiled / eager"):
        assert any(expected in m for m in measures), expected
    # The conv net case: the training steps compared (its first epoch untimed), the work between epochs reported.
    digits = [row for row in rows if row["measure"].startswith("5. digits_cnn")]
    assert [row["measure"].rsplit(": ", 1)[-1] for row in digits] == [
        "training steps",
        "training steps, against Lightning alone logging the accuracy too",
        "steps and the work between epochs",
        "peak memory (RSS)",
    ]
    steps, whole = digits[0]["values"], digits[2]["values"]
    assert all(steps[side] >= whole[side] for side in steps)
    for row in rows:
        assert all(value > 0 for value in row["values"].values()) or "compiled - eager" in row["measure"]
    wide = next(row for row in rows if row["measure"].startswith("4. Blobs") and row["unit"] == "samples/s")
    assert set(wide["values"]) == {"template", "lightning", "plain"} and set(wide["ratios"]) == {"lightning", "plain"}
    # Cold start: the floor (a bare Lightning script, the same steps to the same loss) measured in the same rounds.
    cold = next(row for row in rows if row["measure"].startswith("3. Cold start"))
    assert set(cold["values"]) == {"template", "lightning", "plain"} and set(cold["ratios"]) == {"lightning", "plain"}
    assert re.search(r"Lightning alone: [\d.]+x plain \([\d.]+-[\d.]+\)", cold["target"]), cold["target"]
    assert proc.stdout == (tmp_path / "benchmark.md").read_text() + "\n"
    assert "| template / Lightning alone |" in proc.stdout


@pytest.mark.slow
def test_gpu_check_dry_mode_trains_and_runs_the_benchmark_on_the_cpu(tmp_path):
    report = tmp_path / "gpu.md"
    args = ["--dry", "--repeats", "1", "--markdown", str(report)]
    proc = run_script(ROOT / "scripts" / "gpu_check.py", *args, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report.read_text()
    assert any("trainer=cpu" in line and "| success |" in line for line in text.splitlines()), text
    for variant in ("trainer.precision=16-mixed", "trainer.precision=bf16-mixed", "model.compile=true"):
        assert f"| {variant} | skipped in --dry (GPU only) |" in text
    # The benchmark's own method: every side in a process of its own, taking turns step by step, each to the
    # plain loop's loss (a side that ends elsewhere fails the run).
    assert "the sides take turns step by step" in text
    noisy_xor = [line for line in text.splitlines() if line.startswith("| 2. Noisy XOR")]
    assert len(noisy_xor) == 2 and "peak memory (RSS)" in noisy_xor[1], noisy_xor
    template, lightning, plain = (float(v.replace(",", "")) for v in noisy_xor[1].split("|")[3:6])
    assert plain < lightning and plain < template  # each its own process: only the plain loop skips Lightning


def test_benchmark_rejects_an_unknown_case_with_a_clear_message(tmp_path):
    proc = run_script(BENCHMARK, "--cases", "xor,warp", "--markdown", str(tmp_path / "b.md"))
    assert proc.returncode == 2
    assert "--cases takes xor, throughput, cold_start, wide, digits_cnn" in proc.stderr and "warp" in proc.stderr
    assert not (tmp_path / "b.md").exists()
