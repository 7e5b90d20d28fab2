"""The benchmark keeps working: a smoke run at tiny sizes. Its timings are never asserted here."""

import json
import statistics

import pytest

from helpers import ROOT, run_script


@pytest.mark.slow
def test_benchmark_smoke_run_writes_its_table_and_both_sides_train_the_same_math(tmp_path):
    proc = run_script(ROOT / "scripts" / "benchmark.py", "--smoke", "--repeats", "1", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]

    report = json.loads((tmp_path / "benchmark.json").read_text())
    measures = [row["measure"] for row in report["rows"]]
    for case in ("1. XOR step", "2. Noisy XOR", "3. Cold start", "3. `train.py --help`", "4. Peak memory"):
        assert any(m.startswith(case) for m in measures), case
    # Lightning's own floor, both kinds of optimization, in the per-step cases.
    for case in ("1. XOR step", "2. Noisy XOR"):
        for optimization in ("automatic", "manual"):
            assert any(m.startswith(case) and f"Lightning alone, {optimization}" in m for m in measures)
    for row in report["rows"]:
        assert row["template"] > 0, row["measure"]
        if row["plain"] is not None:
            # The ratio is the median of the per-round ratios, not the ratio of the two medians.
            pairs = [t / p for t, p in zip(row["template_runs"], row["plain_runs"], strict=True)]
            assert row["ratio"] == pytest.approx(statistics.median(pairs))
    # The template and the hand-written loop start from the same weights and data, so they end at the same loss.
    compared = [row for row in report["rows"] if "losses_match" in row]
    assert compared and all(row["losses_match"] for row in compared)
    assert "| measure |" in (tmp_path / "benchmark.md").read_text()


def test_benchmark_rejects_an_unknown_case_with_a_clear_message(tmp_path):
    proc = run_script(ROOT / "scripts" / "benchmark.py", "--cases", "xor,warp", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "--cases takes xor, throughput, cold_start" in proc.stderr and "warp" in proc.stderr
    assert not (tmp_path / "benchmark.json").exists()
