"""The train task when several processes run it (DDP, `trainer=ddp` or `trainer=ddp_cpu`).

Lightning's `ddp` strategy starts processes 1..N-1 by running the same command
line again, pointed at the first process's Hydra run folder; SLURM and
torchrun start every process themselves. Either way each process runs the
whole train task. Lightning's loggers, progress bar and checkpoints already
write from rank 0 only; the run's own record must too, or N processes would
race to write one `metrics.json`.
"""

import lightning as L
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from backprop_lab.errors import ConfigError


def is_rank_zero() -> bool:
    """True in the process that writes the run's record: the only one, or global rank 0.

    Lightning sets the rank when the Trainer is built; before that it reads it
    from the launcher's environment (`RANK`, `LOCAL_RANK`, `SLURM_PROCID`).
    """
    return rank_zero_only.rank == 0


def starts_fresh_processes(trainer: L.Trainer) -> bool:
    """True if Lightning itself starts the trainer's extra processes as fresh interpreters (`ddp`, `ddp_spawn`).

    Through public attributes only: the processes are Lightning's to start
    (not torchrun's or SLURM's), there are several, and they are not forked
    from this one (a launcher that forks is the one that works interactively).
    `ddp` re-runs the command line; `ddp_spawn` pickles the trainer into them.
    """
    launcher = trainer.strategy.launcher
    return (
        launcher is not None
        and trainer.world_size > 1
        and not launcher.cluster_environment.creates_processes_externally
        and not launcher.is_interactive_compatible
    )


def check_sweep_launch(trainer: L.Trainer) -> None:
    """Refuse a Hydra sweep (`-m`) whose trainer would start its processes by re-running the command line.

    In a sweep the command line is the whole sweep: every extra process would
    run every job of it again.
    """
    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return
    if starts_fresh_processes(trainer):
        raise ConfigError(
            f"trainer.strategy: {type(trainer.strategy).__name__} with {trainer.world_size} processes cannot run "
            "inside a sweep (-m), nothing was trained. Lightning starts the extra processes itself, with `ddp` by "
            "running the command line again, and in a sweep that would run the whole sweep again in each of them. "
            "Run each job as its own command instead, e.g. a shell loop over the values (see docs/distributed.md)."
        )
