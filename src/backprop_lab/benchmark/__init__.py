"""The template against the plain PyTorch loop a user would write by hand.

`cases.py` runs each case's sides in their own processes, `worker.py` is one
side of one case, `plain.py` holds the hand-written loops, `report.py` turns
the results into JSON and a Markdown table. `scripts/benchmark.py` is the
entry point.
"""

# The cases, in their numbered order; named here so the entry point can check its arguments before importing torch.
CASES = ("xor", "throughput", "cold_start")
