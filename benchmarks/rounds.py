"""Alternating rounds and paired ratios: how every timing in this project is compared.

This machine's speed drifts by tens of percent over minutes (other tenants
on its cores). A round runs every side once, one after the other, so the
runs of one round share most of the drift; the ratio of two sides is the
median of their per-round ratios, which moves much less than either side's
median. `scripts/telemetry_cost.py`, `scripts/option_cost.py` and
`scripts/benchmark.py`'s cold start measure this way; its step cases (and
`benchmarks/paired_fits.py`) go further and take turns step by step
(`turns.py`), since the speed also drifts within seconds.
"""

import sys
from collections.abc import Callable, Hashable, Mapping
from statistics import median
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)
Result = TypeVar("Result")


def alternate(
    sides: Mapping[Key, Callable[[int], Result]], repeats: int, label: Callable[[Key], str] = str
) -> dict[Key, list[Result]]:
    """Run `repeats` rounds; each round calls every side once (with the round's number), in order."""
    results: dict[Key, list[Result]] = {key: [] for key in sides}
    for i in range(repeats):
        for key, run in sides.items():
            print(f"round {i + 1}/{repeats}: {label(key)}", file=sys.stderr, flush=True)
            results[key].append(run(i))
    return results


def paired_ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """The ratio of the two sides within each round."""
    return [a / b for a, b in zip(numerator, denominator, strict=True)]


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median of the per-round ratios: the comparison this project reports."""
    return median(paired_ratios(numerator, denominator))
