"""The benchmark's results as JSON and as a Markdown table, with the machine they came from."""

import importlib.util
import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import lightning
import torch

from backprop_lab.atomic import write_text_atomic


def machine() -> dict[str, Any]:
    """What the numbers depend on: the CPU and GPU, the versions, and how busy the machine was."""
    info: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        # With SciPy installed (the test extra brings it through scikit-learn), `import lightning` takes about
        # 1.5 s longer here: torchmetrics imports scipy.signal whenever SciPy is there. Case 3 depends on it.
        "scipy_installed": importlib.util.find_spec("scipy") is not None,
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _range(ratios: list[float] | None) -> str:
    """The lowest and highest per-round ratio: how far one round can stray from the median."""
    return f"{_fmt(min(ratios))}-{_fmt(max(ratios))}" if ratios else "-"


def markdown(rows: list[dict], settings: dict[str, Any], info: dict[str, Any]) -> str:
    where = f"{info['processor']}, {info['cpu_count']} CPUs" + (f", {info['gpu']}" if "gpu" in info else "")
    lines = [
        f"Medians of {settings['repeats']} alternating runs per side; each ratio is the median of "
        f"the per-round ratios (a round runs every side once); {settings['threads']} torch thread(s); "
        f"accelerator {settings['accelerator']}; {where}; load average {info['load_average']}; "
        f"torch {info['torch']}, lightning {info['lightning']}; "
        f"SciPy {'installed' if info.get('scipy_installed') else 'not installed'}.",
        "",
        "| measure | unit | template | plain | template / plain | per-round range | target | same loss |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        same = {True: "yes", False: "**no**", None: ""}[r.get("losses_match")]
        lines.append(
            f"| {r['measure']} | {r['unit']} | {_fmt(r['template'])} | {_fmt(r['plain'])} | "
            f"{_fmt(r['ratio'])} | {_range(r.get('paired_ratios'))} | {r['target']} | {same} |"
        )
    return "\n".join(lines) + "\n"


def write(out: Path, rows: list[dict], settings: dict[str, Any]) -> tuple[Path, Path]:
    """Write `benchmark.json` and `benchmark.md` into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    info = machine()
    json_path, md_path = out / "benchmark.json", out / "benchmark.md"
    write_text_atomic(json_path, json.dumps({"machine": info, "settings": settings, "rows": rows}, indent=2) + "\n")
    write_text_atomic(md_path, markdown(rows, settings, info))
    return json_path, md_path
