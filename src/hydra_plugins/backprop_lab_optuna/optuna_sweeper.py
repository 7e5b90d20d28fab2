"""The Optuna sweeper: `python scripts/train.py -m hparams_search=<name>`.

Hydra accepts sweepers only from the `hydra_plugins` namespace package, so
this small class lives here; the study logic is in `backprop_lab.tuning.search`.
Written for this project because `hydra-optuna-sweeper` pins `optuna<3`,
which breaks with SQLAlchemy 2. Hydra imports every plugin module at start-up,
for single runs too: Optuna is imported only when a search starts.
"""

import logging
import sys
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class OptunaSweeper(Sweeper):
    """Ask Optuna for `n_jobs` trials, run them as one batch of jobs, tell Optuna their metrics; `n_trials` in all.

    The launcher runs a batch's jobs (one after the other by default; side by side with `hydra/launcher=joblib`
    or on SLURM). The study lives in `storage` (by default `<sweep dir>/optuna.db`): running the same command
    with the same `hydra.sweep.dir` resumes it, a larger `n_trials` extends it, and a second process on the
    same storage joins it as another worker. Job folder N holds trial N.
    """

    def __init__(
        self,
        n_trials: int,
        direction: str,
        study_name: str,
        sampler: DictConfig,
        params: DictConfig,
        n_jobs: int,
        storage: str | None,
    ) -> None:
        self.n_trials = n_trials
        self.direction = direction
        self.study_name = study_name
        self.sampler = sampler
        self.params = params or {}
        self.n_jobs = n_jobs
        self.storage = storage
        self.config: DictConfig | None = None
        self.hydra_context: HydraContext | None = None
        self.launcher: Any = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        """The search; a setting it cannot use is one paragraph on stderr and exit code 2, not a traceback."""
        from backprop_lab.errors import UserError

        try:
            return self._search(arguments)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)

    def _search(self, arguments: list[str]) -> Any:
        from backprop_lab.errors import ConfigError
        from backprop_lab.tuning import search, study

        assert self.config is not None and self.hydra_context is not None
        if not isinstance(self.n_jobs, int) or self.n_jobs < 1:
            raise ConfigError(
                f"hydra.sweeper.n_jobs={self.n_jobs!r} is not allowed: it must be a whole number >= 1, the trials "
                "asked at a time and run as one batch, e.g. hydra.sweeper.n_jobs=4 with hydra/launcher=joblib."
            )
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides([f"{k}={v}" for k, v in self.params.items()] + list(arguments))
        space, fixed = search.search_space(overrides)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        metric = self.config.get("optimized_metric")

        shared = study.open_study(
            study.storage_url(self.storage, sweep_dir), self.study_name, self.direction, self.sampler
        )
        study.fail_stale_trials(shared)
        log.info(
            "Optuna study %r in %s: %d of %d trials done or running; searching %s to %s %s, %d at a time.",
            self.study_name,
            study.without_password(self.storage) if self.storage else sweep_dir / study.DB_NAME,
            study.trials_counted(shared),
            self.n_trials,
            ", ".join(space),
            self.direction,
            metric,
            self.n_jobs,
        )
        while (left := self.n_trials - study.trials_counted(shared)) > 0:
            trials = []
            for trial in (study.ask(shared, space) for _ in range(min(self.n_jobs, left))):
                if study.beyond_n_trials(shared, trial, self.n_trials):
                    shared.tell(trial, state=search.TrialState.PRUNED)  # neither complete nor failed: never run
                    log.info("Trial %d is one more than n_trials=%d (another worker asked at the same moment): "
                             "not run.", trial.number, self.n_trials)  # fmt: skip
                else:
                    trials.append(trial)
            if not trials:
                continue
            # Trial numbers come from the shared study (another worker may hold the numbers between them):
            # each job's folder starts with its trial's number, not its place in the batch, then the trial's values.
            batch = [
                [*fixed, *search.trial_overrides(t), f"hydra.sweep.subdir='{search.job_folder(t)}'"] for t in trials
            ]
            try:
                self.validate_batch_is_legal(batch)
                jobs = self.launcher.launch(batch, initial_job_idx=trials[0].number)
            except BaseException:
                for trial in trials:  # interrupted: marked failed, and they do not count towards n_trials
                    shared.tell(trial, state=search.TrialState.FAIL)
                raise
            for trial, job in zip(trials, jobs, strict=True):
                search.record(shared, trial, job, metric)

        best = search.write_best(shared, sweep_dir, metric)
        running = len(shared.get_trials(deepcopy=False, states=(search.TrialState.RUNNING,)))
        if best["best_value"] is None and running:
            log.info(
                "No trial has succeeded yet; %d are still running in other workers, whose last writes the best.",
                running,
            )
            return best
        if best["best_value"] is None:
            raise RuntimeError(
                f"hparams_search: none of the {best['trials']['fail']} trials succeeded; each job folder under "
                f"{sweep_dir} has its error in metrics.json."
            )
        log.info(
            "Best trial %d: %s=%.6g with %s (written to %s)",
            best["best_trial"],
            metric,
            best["best_value"],
            " ".join(best["overrides"]),
            sweep_dir / search.BEST_NAME,
        )
        return best
