"""Hydra's submitit launchers (`hydra/launcher=submitit_local`, `=slurm`), waiting for every job to end.

Hydra's submitit launcher (hydra-submitit-launcher 1.2) submits the jobs,
then collects them with `[job.results()[0] for job in jobs]`. A job that
ends without a result (`scancel`, the out-of-memory killer, `kill -9`, a
lost node) raises submitit's `UncompletedJobError` there: the sweep stopped
with a traceback, and the jobs after it were no longer waited for. `launch`
below is the plugin's, with one change: each job is collected on its own,
and one that ended without a result is a failed job whose error is the
sweep's table (`FailedSweepJob`), as for a job that failed inside. Its
`metrics.json` still says `running`, so the table shows it as `killed`
(`killed or running` when it ran on another host). The plugin builds the
executor and collects the results in that one method, so nothing smaller
can be overridden.

Hydra imports every module under `hydra_plugins` at start-up, single runs
included: the classes exist only when the submitit extra is installed (a
sweep that names them without it is refused first, by `CheckPluginsInstalled`),
and submitit itself is imported once a sweep starts, as the plugin does.
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf, read_write

from backprop_lab.config.plugin_check import is_installed
from backprop_lab.errors import JobLost
from backprop_lab.runs.failed_sweep import FailedSweepJob

log = logging.getLogger(__name__)
PLUGIN = "hydra_plugins.hydra_submitit_launcher"


class WaitsForEveryJob:
    """The plugin's `launch`, collecting each job on its own; mixed into the plugin's launchers below."""

    _EXECUTOR: str  # the plugin's executor name: "local" or "slurm"
    params: dict[str, Any]
    config: DictConfig | None
    hydra_context: HydraContext | None

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> list[JobReturn]:
        """Submit every job (on SLURM as one job array), then wait for each; a killed one is a failed job."""
        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        log.info("Submitit '%s' sweep output dir : %s", self._EXECUTOR, sweep_dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if "mode" in self.config.hydra.sweep:
            os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
        numbers = range(initial_job_idx, initial_job_idx + len(job_overrides))
        calls = []
        for number, overrides in zip(numbers, job_overrides, strict=True):
            log.info("\t#%d : %s", number, " ".join(filter_overrides(overrides)))
            calls.append((list(overrides), "hydra.sweep.dir", number, f"job_id_for_{number}", Singleton.get_state()))
        jobs = self.executor().map_array(self, *zip(*calls, strict=True))
        return [self.job_return(*job) for job in zip(jobs, job_overrides, numbers, strict=True)]

    def executor(self) -> Any:
        """Submitit's executor with the launcher's settings, passed on as the plugin passes them."""
        import submitit
        from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

        settings = dict(self.params)
        folder = settings.pop("submitit_folder")
        made_with = {}
        if "max_num_timeout" in settings:  # SLURM's resubmissions after a timeout: given when the executor is made
            made_with[f"{self._EXECUTOR}_max_num_timeout"] = settings.pop("max_num_timeout")
        executor = submitit.AutoExecutor(folder=folder, cluster=self._EXECUTOR, **made_with)
        shared = set(OmegaConf.structured(BaseQueueConf).keys())  # the others take the executor's prefix
        executor.update_parameters(**{k if k in shared else f"{self._EXECUTOR}_{k}": v for k, v in settings.items()})
        return executor

    def job_return(self, job: Any, overrides: Sequence[str], number: int) -> JobReturn:
        """The job's own `JobReturn`; for a job that ended without one (killed, cancelled), a failed one."""
        from submitit.core.utils import UncompletedJobError

        try:
            return job.results()[0]
        except UncompletedJobError:
            return self.lost_job(job, overrides, number)

    def lost_job(self, job: Any, overrides: Sequence[str], number: int) -> JobReturn:
        """A failed `JobReturn` for a job that left none, in its folder (Optuna's sweeper reads the folder)."""
        assert self.config is not None and self.hydra_context is not None
        message = (
            f"Job #{number} ({' '.join(filter_overrides(overrides))}) ended without a result: it was killed or "
            f"cancelled (scancel, the out-of-memory killer, a lost node); submitit's log of it: {job.paths.stderr}"
        )
        log.error(message)
        config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
        with read_write(config.hydra):
            config.hydra.job.num = number
        sweep_hydra = HydraConfig.instance().cfg
        HydraConfig.instance().set_config(config)  # the folder is named (`${run_name:}`) by this job's overrides
        try:
            folder = Path(config.hydra.sweep.dir) / str(config.hydra.sweep.subdir)
        finally:
            HydraConfig.instance().cfg = sweep_hydra
        with read_write(config.hydra):
            config.hydra.runtime.output_dir = str(folder)
        lost = JobReturn(overrides=list(overrides), hydra_cfg=config, status=JobStatus.FAILED)
        lost.return_value = FailedSweepJob(JobLost(message), self.config.hydra.sweep.dir)
        return lost


if is_installed(PLUGIN):
    from hydra_plugins.hydra_submitit_launcher import submitit_launcher

    class LocalLauncher(WaitsForEveryJob, submitit_launcher.LocalLauncher):
        """`hydra/launcher=submitit_local`: submitit runs each job as a process of its own on this machine."""

    class SlurmLauncher(WaitsForEveryJob, submitit_launcher.SlurmLauncher):
        """`hydra/launcher=slurm`: the jobs as one SLURM job array, from the login node."""
