"""The Optuna sweeper: `python scripts/train.py -m hparams_search=<name>`.

Hydra accepts sweepers only from the `hydra_plugins` namespace package, so
this small class lives here; the study logic is in `backprop_lab.tuning.search`.
Written for this project because `hydra-optuna-sweeper` pins `optuna<3`,
which breaks with SQLAlchemy 2. Hydra imports every plugin module at start-up,
for single runs too: Optuna is imported only when a search starts.
"""

import logging
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class OptunaSweeper(Sweeper):
    """Ask Optuna for a trial, run it as one Hydra job, tell Optuna its metric; `n_trials` in all.

    The study lives in `<sweep dir>/optuna.db`: running the same command with the same `hydra.sweep.dir`
    resumes it, and a larger `n_trials` extends it. Job folder N holds trial N.
    """

    def __init__(self, n_trials: int, direction: str, study_name: str, sampler: DictConfig, params: DictConfig) -> None:
        self.n_trials = n_trials
        self.direction = direction
        self.study_name = study_name
        self.sampler = sampler
        self.params = params or {}
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
        from backprop_lab.tuning import search

        assert self.config is not None and self.hydra_context is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides([f"{k}={v}" for k, v in self.params.items()] + list(arguments))
        space, fixed = search.search_space(overrides)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        metric = self.config.get("optimized_metric")

        study = search.open_study(sweep_dir, self.study_name, self.direction, self.sampler)
        search.fail_stale_trials(study)
        done = search.trials_that_ran(study)
        log.info(
            "Optuna study %r in %s: %d of %d trials done; searching %s to %s %s.",
            self.study_name,
            sweep_dir,
            done,
            self.n_trials,
            ", ".join(space),
            self.direction,
            metric,
        )
        for _ in range(self.n_trials - done):
            trial = study.ask(space)
            job_overrides = [*fixed, *search.trial_overrides(trial)]
            try:
                self.validate_batch_is_legal([job_overrides])
                [job] = self.launcher.launch([job_overrides], initial_job_idx=trial.number)
            except BaseException:
                study.tell(trial, state=search.TrialState.FAIL)  # interrupted: does not count towards n_trials
                raise
            search.record(study, trial, job, metric)

        best = search.write_best(study, sweep_dir, metric)
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
