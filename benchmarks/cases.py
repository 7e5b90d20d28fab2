"""The cases by name, run in their order."""

import sys

from benchmarks.cold_start import cold_start_case
from benchmarks.settings import Settings
from benchmarks.step_cases import digits_cnn_case, throughput_case, wide_case, xor_case
from benchmarks.sweep_launchers import sweep_case

RUNNERS = {
    "xor": xor_case,
    "throughput": throughput_case,
    "cold_start": cold_start_case,
    "wide": wide_case,
    "digits_cnn": digits_cnn_case,
    "sweep": sweep_case,
}


def run_cases(names: list[str], settings: Settings) -> list[dict]:
    rows: list[dict] = []
    for name in names:
        print(f"benchmark: case {name} ({settings.repeats} rounds) ...", file=sys.stderr, flush=True)
        rows += RUNNERS[name](settings)
    return rows
