"""Wall and CPU time, read together, after the device has finished its queued work."""

import resource
import time
from dataclasses import dataclass
from pathlib import Path

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
    """This process's peak resident memory so far, in MiB.

    On Linux from `/proc/self/status` (VmHWM, the high-water mark of this
    process's own memory): `getrusage`'s `ru_maxrss` survives `exec`, so a
    worker started by a parent that had imported Lightning would report the
    parent's size. Elsewhere `ru_maxrss` (KiB on Linux, bytes on macOS).
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if peak > 1 << 32 else 1)
