"""The benchmark's rows, and the results as JSON and as a Markdown table, with the machine they came from."""

import importlib.util
import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from statistics import median
from typing import Any

import lightning
import torch

from benchmarks.rounds import paired_ratio, paired_ratios

SIDES = {"template": "template", "lightning": "Lightning alone", "plain": "plain"}


ROUND = {
    False: "a round runs every side once, in turn",
    True: "in a round every side runs in its own process; in cases 1, 2, 4 and 5 the sides take turns step by step",
}


def row(
    measure: str, unit: str, runs: dict[str, list[float]], target: str = "", compare: bool = True, **extra: Any
) -> dict:
    """A table row: each side's median and, when `compare`, the template's per-round ratios over the others."""
    ratios, ranges = {}, {}
    for other in ("lightning", "plain"):
        if compare and "template" in runs and other in runs:
            ratios[other] = paired_ratio(runs["template"], runs[other])
            paired = paired_ratios(runs["template"], runs[other])
            ranges[other] = [min(paired), max(paired)]
    values = {side: median(r) for side, r in runs.items()}
    fields = {"measure": measure, "unit": unit, "values": values, "ratios": ratios, "ranges": ranges, "target": target}
    return {**fields, "runs": runs, **extra}


def machine() -> dict[str, Any]:
    """What the numbers depend on: the CPU and GPU, the versions, and how busy the machine was."""
    info: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        # With SciPy installed (the test extra brings it through scikit-learn), torchmetrics imports scipy.signal
        # at start-up; case 3 depends on it.
        "scipy_installed": importlib.util.find_spec("scipy") is not None,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _ratio(r: dict, other: str) -> str:
    if other not in r["ratios"]:
        return "-"
    low, high = r["ranges"][other]
    return f"{fmt(r['ratios'][other])} ({fmt(low)}-{fmt(high)})"


def markdown(rows: list[dict], settings: dict[str, Any], info: dict[str, Any]) -> str:
    where = f"{info['processor']}, {info['cpu_count']} CPUs" + (f", {info['gpu']}" if "gpu" in info else "")
    lines = [
        f"Medians of {settings['repeats']} rounds ({ROUND[bool(settings.get('turns'))]}); each ratio is the median "
        f"of the per-round ratios, with their range in brackets; wall clock; {settings['threads']} torch thread(s); "
        f"accelerator {settings['accelerator']}; {where}; load average {info['load_average']} at the end; "
        f"torch {info['torch']}, lightning {info['lightning']}, Python {info['python']}; "
        f"SciPy {'installed' if info.get('scipy_installed') else 'not installed'}.",
        "",
        "| measure | unit | template | Lightning alone | plain | template / Lightning alone | template / plain "
        "| target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        cells = [fmt(r["values"].get(side)) for side in SIDES]
        lines.append(
            f"| {r['measure']} | {r['unit']} | {' | '.join(cells)} | "
            f"{_ratio(r, 'lightning')} | {_ratio(r, 'plain')} | {r['target']} |"
        )
    return "\n".join(lines) + "\n"


def write(rows: list[dict], settings: dict[str, Any], markdown_path: Path | None, json_path: Path | None) -> str:
    """The Markdown table; also written to `markdown_path`, and everything to `json_path`, when given."""
    info = machine()
    table = markdown(rows, settings, info)
    for path, text in (
        (markdown_path, table),
        (json_path, json.dumps({"machine": info, "settings": settings, "rows": rows}, indent=2) + "\n"),
    ):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return table
