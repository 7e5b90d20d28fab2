"""The template against Lightning alone and the plain PyTorch loop: `python scripts/benchmark.py`.

Not part of the installed package. `cases.py` names the cases
(`step_cases.py` with the template's overrides in `case_configs.py`,
`cold_start.py`, `sweep_launchers.py`); each side of a case runs in its own
process (`processes.py`, `worker.py`): the template as `scripts/train.py`
builds it (`template.py`), Lightning alone (`lightning_alone.py`) and the
plain loop (`plain.py`), both built by hand (`hand_built.py`). Rounds
alternate the sides (`rounds.py`, shared with `scripts/telemetry_cost.py`
and `scripts/option_cost.py`); `report.py` writes the table.
`scripts/gpu_check.py` runs the cases on a CUDA machine.
"""

# The cases, in their numbered order; named here so the entry point can check its arguments before importing torch.
CASES = ("xor", "throughput", "cold_start", "wide", "digits_cnn", "sweep")
# What a bare `python scripts/benchmark.py` runs: case 6 trains the 18-job grid twice a round (about 4 minutes a round
# on 2 busy cores), so it runs when asked for: --cases sweep.
DEFAULT_CASES = CASES[:5]
