"""One side of one benchmark case, in its own process: `python -m benchmarks.worker SPEC`.

A process per side keeps the sides apart: each has its own peak memory (the
peak resident set size of the whole process, see `clock.peak_rss_mb`; on a
GPU also the peak of torch's CUDA allocations) and
its own thread pool, and the plain side never imports Lightning. The result
is printed as one JSON line after `RESULT_MARK`.
"""

import importlib
import json
import sys
from typing import Any

import torch

from benchmarks.clock import peak_rss_mb
from benchmarks.turns import Turn

RESULT_MARK = "BENCHMARK_RESULT "


def plain_data(spec: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    data = spec["data"]
    if "x" in data:
        return torch.tensor(data["x"]), torch.tensor(data["y"])
    if "source" in data:
        # Where a script of one's own would read the data from (scikit-learn's digits): its import and its
        # arrays count in this side's memory as they do in the template's; the rows trained on are the split below.
        module, name = data["source"].rsplit(".", 1)
        getattr(importlib.import_module(module), name)()
    # The template's own train split, saved by the case: every side trains on the very same tensors.
    split = torch.load(data["path"], weights_only=True)
    return split["x"], split["y"]


def run(spec: dict[str, Any]) -> dict[str, Any]:
    torch.set_num_threads(spec["threads"])
    turn = Turn.from_spec(spec)  # the side's clock waits for its turn at every step (see turns.py)
    spec = {**spec, "turn": turn}
    if spec["side"] == "template":
        from benchmarks.template import train as train_template

        result = train_template(spec)
    elif spec["side"] == "lightning":
        from benchmarks.lightning_alone import train as train_lightning

        result = train_lightning(spec, *plain_data(spec))
    else:
        from benchmarks.plain import train as train_plain

        device = torch.device("cuda" if spec["accelerator"] == "gpu" else "cpu")
        result = train_plain(spec, *plain_data(spec), device)
    if turn is not None:  # the steps are over: the others go on while this process reports and exits
        turn.finish()
        result["waited_s"] = turn.waited_s
    if spec["accelerator"] == "gpu":
        result["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return {**result, "peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    print(RESULT_MARK + json.dumps(run(json.loads(sys.argv[1]))), flush=True)
