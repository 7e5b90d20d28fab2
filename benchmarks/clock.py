"""Wall and CPU time, read together, after the device has finished its queued work."""

import resource
import time
from dataclasses import dataclass

import torch


@dataclass
class Stamp:
    wall: float
    cpu: float


def stamp(device: torch.device) -> Stamp:
    """Now, once every queued kernel on `device` has run (CUDA runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return Stamp(time.perf_counter(), time.process_time())


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if peak > 1 << 32 else 1)
