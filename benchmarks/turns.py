"""Sides that take turns step by step: every side in its own process, one step at a time, in a ring.

This machine's speed drifts by up to 1.5x within seconds, whatever runs in
it (its host's other tenants); a side that runs its 240 timed steps
alone, a few seconds after the previous side ran its own, meets another speed.
So the worker processes of one round start together, and once all of them
have reached their first step, the parent lets one step run at a time:
template, Lightning alone, plain loop, template, ... Each side's time is the
sum of its own step cycles (batch start to next batch start), never the time
it waited for its turn; its neighbours' steps ran within a few milliseconds
of its own, at the same machine speed.

The parent hands out the turns through two pipes per worker: the worker
writes `r` (ready) at every step boundary and waits for `g` (go); `d` (done)
after its last step.
"""

import os
import select
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.clock import Stamp, stamp


class Turn:
    """A worker's side of the ring: at each step boundary, wait until the parent says go."""

    def __init__(self, go_fd: int, ready_fd: int) -> None:
        self.go_fd, self.ready_fd = go_fd, ready_fd
        self.waited_s = 0.0

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "Turn | None":
        """The turn the parent passed in the spec (`turn_fds`), or None when the side runs alone."""
        fds = spec.get("turn_fds")
        return cls(*fds) if fds else None

    def take(self) -> None:
        start = time.perf_counter()
        os.write(self.ready_fd, b"r")
        if os.read(self.go_fd, 1) != b"g":
            raise RuntimeError("the benchmark's parent process went away")
        self.waited_s += time.perf_counter() - start

    def finish(self) -> None:
        os.write(self.ready_fd, b"d")


@dataclass
class StepTimer:
    """Sums the wall and CPU time of a run's step cycles, timed and warm-up apart, leaving out turn waits.

    `boundary` comes at the start of every step, `end` after every timed
    step: a timed step's cycle runs from its start to the next step's start
    (the per-batch and per-epoch work between steps included); the last timed
    step counts to its end. What falls between a timed step's end and the
    first step of the next epoch (`new_epoch`: validation, checkpoints, epoch
    logging, the loader's next iterator) is also summed apart, in
    `between_epochs`, so a case can report the steps with and without it.
    """

    turn: Turn | None = None
    wall: dict[bool, float] = field(default_factory=lambda: {False: 0.0, True: 0.0})
    cpu: dict[bool, float] = field(default_factory=lambda: {False: 0.0, True: 0.0})
    resumed: Stamp | None = None
    timed: bool = False
    last_end: Stamp | None = None
    pending: tuple[float, float] = (0.0, 0.0)
    between_epochs: list[float] = field(default_factory=lambda: [0.0, 0.0])

    def boundary(self, device: Any, timed: bool, new_epoch: bool = False) -> None:
        now = stamp(device)
        if self.resumed is not None:
            self.wall[self.timed] += now.wall - self.resumed.wall
            self.cpu[self.timed] += now.cpu - self.resumed.cpu
        if new_epoch and self.timed and self.last_end is not None:
            self.between_epochs[0] += now.wall - self.last_end.wall
            self.between_epochs[1] += now.cpu - self.last_end.cpu
        self.last_end = None
        if self.turn is not None:
            self.turn.take()
        self.resumed, self.timed, self.pending = stamp(device), timed, (0.0, 0.0)

    def end(self, device: Any) -> None:
        """After a timed step: what the last one adds if no boundary follows it."""
        now = stamp(device)
        self.pending = (now.wall - self.resumed.wall, now.cpu - self.resumed.cpu)
        self.last_end = now

    def timed_s(self) -> tuple[float, float]:
        """Wall and CPU seconds of the timed steps."""
        return self.wall[True] + self.pending[0], self.cpu[True] + self.pending[1]

    def warmup_s(self) -> float:
        return self.wall[False]

    def reading(self) -> dict[str, float]:
        """The timed steps' wall and CPU seconds, with and without the work between epochs, and the warm-up's."""
        wall, cpu = self.timed_s()
        between_wall, between_cpu = self.between_epochs
        return {
            "wall_s": wall,
            "cpu_s": cpu,
            "steps_wall_s": wall - between_wall,
            "steps_cpu_s": cpu - between_cpu,
            "warmup_s": self.warmup_s(),
        }


class WorkerStopped(RuntimeError):
    """A worker exited before it said it was done: `key` names it."""

    def __init__(self, key: str, when: str) -> None:
        super().__init__(f"benchmark worker {key!r} stopped {when}")
        self.key = key


@dataclass
class Seat:
    """The parent's end of one worker's pipes."""

    go_fd: int
    ready_fd: int


def read_message(seat: Seat, deadline: float) -> bytes:
    """The worker's next message (`r` or `d`); b"" when it exited; TimeoutError past `deadline`."""
    ready, _, _ = select.select([seat.ready_fd], [], [], max(deadline - time.monotonic(), 0))
    if not ready:
        raise TimeoutError("a benchmark worker took no step before the deadline")
    return os.read(seat.ready_fd, 1)


def hand_out_turns(seats: dict[str, Seat], deadline: float, on_done: Any = None) -> None:
    """Wait until every worker is at its first step, then let them step one at a time, in turn, until all are done.

    `on_done(key)` runs as each worker says it is done, before the others go on
    (the parent waits there for it to exit, so its teardown runs alone).
    Raises WorkerStopped naming a worker that exits without saying it is done.
    """
    for key, seat in seats.items():
        if read_message(seat, deadline) != b"r":
            raise WorkerStopped(key, "before its first step")
    live = list(seats)
    while live:
        for key in list(live):
            os.write(seats[key].go_fd, b"g")
            message = read_message(seats[key], deadline)
            if message == b"d":
                live.remove(key)
                if on_done is not None:
                    on_done(key)
            elif message != b"r":
                raise WorkerStopped(key, "during its steps")
