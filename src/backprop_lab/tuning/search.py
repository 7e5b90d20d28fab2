"""Hyperparameter search with Optuna: the search space from Hydra overrides, the study, the best trial.

The Hydra sweeper in `hydra_plugins/backprop_lab_optuna` drives the loop
(ask a batch, launch its jobs, tell); this module holds what does not depend
on Hydra's plugin machinery, and `study.py` the study its workers share. The
search space is written in Hydra's override grammar, as in `configs/hparams_search/`:

    optimizer: choice(sgd,adam,rmsprop)          -> categorical
    optimizer.lr: tag(log, interval(1e-3, 1.0))  -> float, log scale
    trainer.max_epochs: tag(int, interval(50, 200)) -> int
    seed: range(0,3)                             -> categorical over 0, 1, 2

Anything that is not a sweep is passed unchanged to every trial.
"""

import logging
import math
from pathlib import Path
from typing import Any

import optuna
from hydra.core.override_parser.types import Override
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import OmegaConf
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import FrozenTrial, Trial, TrialState

from backprop_lab.errors import ConfigError
from backprop_lab.runs.atomic import write_text_atomic
from backprop_lab.runs.name import trial_folder
from backprop_lab.runs.summary import read_summary
from backprop_lab.tuning.study import RAN

log = logging.getLogger(__name__)

BEST_NAME = "best_trial.yaml"
JOB_DIR = "job_dir"


def distribution(override: Override) -> BaseDistribution:
    """The Optuna distribution for one sweep override; a clear error for a sweep it cannot search."""
    key = override.get_key_element()
    if override.is_discrete_sweep():  # choice(...), a,b,c, range(...), glob(...)
        return CategoricalDistribution(list(override.sweep_string_iterator()))
    if override.is_interval_sweep():
        sweep = override.value()
        log_scale = "log" in sweep.tags
        if "int" in sweep.tags:
            return IntDistribution(int(sweep.start), int(sweep.end), log=log_scale)
        return FloatDistribution(float(sweep.start), float(sweep.end), log=log_scale)
    raise ConfigError(
        f"hparams_search: {override.input_line!r} cannot be searched: use choice(a,b,...), a,b,..., range(start,stop), "
        f"interval(low,high), tag(log, interval(low,high)) or tag(int, interval(low,high)) for {key}."
    )


def search_space(overrides: list[Override]) -> tuple[dict[str, BaseDistribution], list[str]]:
    """Split overrides into the searched parameters and the fixed ones; a later override of a key wins."""
    by_key = {override.get_key_element(): override for override in overrides}
    space = {key: distribution(o) for key, o in by_key.items() if o.is_sweep_override()}
    fixed = [f"{key}={o.get_value_element_as_str()}" for key, o in by_key.items() if not o.is_sweep_override()]
    return space, fixed


def trial_overrides(trial: Trial | FrozenTrial) -> list[str]:
    """The trial's parameters as Hydra overrides, e.g. `optimizer.lr=0.0123`."""
    return [f"{name}={value}" for name, value in trial.params.items()]


def job_folder(trial: Trial | FrozenTrial) -> str:
    """The trial's job folder, `trial=007,optimizer.lr=0.0123`: a study may try the same values twice."""
    return trial_folder(trial.number, trial_overrides(trial))


def record(study: optuna.Study, trial: Trial, job: JobReturn, metric: str | None) -> None:
    """Tell the study how the trial's job ended: its metric, or failed."""
    job_dir = Path(job.hydra_cfg.hydra.runtime.output_dir)
    trial.set_user_attr(JOB_DIR, str(job_dir))
    trial.set_user_attr(RAN, True)
    if job.status != JobStatus.COMPLETED:
        error = read_summary(job_dir).get("error") if (job_dir / "metrics.json").is_file() else "no metrics.json"
        log.warning("Trial %d failed (%s; see %s); the search goes on.", trial.number, error, job_dir)
        study.tell(trial, state=TrialState.FAIL)
        return
    value = job.return_value
    if value is None:
        study.tell(trial, state=TrialState.FAIL)
        raise ConfigError(
            f"hparams_search: trial {trial.number} ran but returned no optimized_metric={metric!r}: the run's "
            f"metrics are in {job_dir}/metrics.json; set optimized_metric to one of them, "
            "e.g. optimized_metric=val/loss."
        )
    if not math.isfinite(value):
        log.warning("Trial %d ended with %s=%s: marked failed; the search goes on.", trial.number, metric, value)
        study.tell(trial, state=TrialState.FAIL)
        return
    log.info("Trial %d: %s=%.6g with %s", trial.number, metric, value, " ".join(trial_overrides(trial)))
    study.tell(trial, float(value))


def best_trial_summary(study: optuna.Study, metric: str | None) -> dict[str, Any]:
    """What `best_trial.yaml` holds: the best trial's value, parameters and folder, and the trial counts."""
    counts = {
        state.name.lower(): len(study.get_trials(deepcopy=False, states=(state,)))
        for state in (TrialState.COMPLETE, TrialState.FAIL)
    }
    summary: dict[str, Any] = {
        "study": study.study_name,
        "direction": study.direction.name.lower(),
        "metric": metric,
        "trials": counts,
    }
    if counts["complete"] == 0:
        return {**summary, "best_value": None}
    best = study.best_trial
    return {
        **summary,
        "best_value": best.value,
        "best_trial": best.number,
        "job_dir": best.user_attrs.get(JOB_DIR),
        "params": dict(best.params),
        "overrides": trial_overrides(best),
    }


def write_best(study: optuna.Study, sweep_dir: Path, metric: str | None) -> dict[str, Any]:
    summary = best_trial_summary(study, metric)
    write_text_atomic(sweep_dir / BEST_NAME, OmegaConf.to_yaml(OmegaConf.create(summary)))
    return summary
