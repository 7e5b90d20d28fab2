"""The Optuna study that one or many search processes share: its storage, its workers, the trials that count.

Each `python scripts/train.py -m hparams_search=...` is a worker. Workers
given the same storage (`hydra.sweeper.storage`, by default the SQLite file
`<sweep dir>/optuna.db`) and study name work on one study: Optuna's storage
hands each `ask` a trial number of its own, so their trials are distinct,
and each worker counts every worker's trials against `n_trials`. A trial
records the worker that asked it (host and pid): one whose worker is gone
(killed, or its machine rebooted) is marked failed by the next worker that
starts on that host, and does not count.
"""

import logging
import os
import socket
from pathlib import Path

import optuna
from hydra.utils import instantiate
from omegaconf import DictConfig
from optuna.trial import FrozenTrial, Trial, TrialState
from sqlalchemy.engine import make_url

from backprop_lab.errors import ConfigError
from backprop_lab.runs.summary import RUNNING, describe_status

log = logging.getLogger(__name__)

DB_NAME = "optuna.db"
RAN = "ran"  # user attr of a trial whose job ran to its end (success or failure), as opposed to an interrupted one
WORKER = "worker"  # user attr: {"host", "pid"} of the process that asked the trial


def storage_url(storage: str | None, sweep_dir: Path) -> str:
    """The study's SQLAlchemy URL: `hydra.sweeper.storage`, or the SQLite file in the sweep folder."""
    return storage or f"sqlite:///{(sweep_dir / DB_NAME).resolve()}"


def without_password(url: str) -> str:
    """The URL as it may be printed: a database password never reaches the console or a log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: nothing in it is known to be a password
        return url


def open_study(url: str, study_name: str, direction: str, sampler: DictConfig) -> optuna.Study:
    """Create the study in the storage at `url`, or load it to resume or to join the workers already on it.

    The sampler is built from its config; a seeded one is re-seeded with seed + the number of trials
    already in the study, so a resumed search is reproducible and does not replay its first trials, and a
    worker joining a running study does not repeat the first worker's samples.
    """
    shown = without_password(url)
    try:
        study = optuna.create_study(storage=url, study_name=study_name, direction=direction, load_if_exists=True)
    except ImportError as err:  # Optuna's wrapper of the database driver's ModuleNotFoundError (psycopg, pymysql)
        driver = getattr(err.__cause__ or err.__context__, "name", None) or err.name or "its database driver"
        raise ConfigError(
            f"hydra.sweeper.storage={shown!r} needs the Python package {driver!r}, which is not installed; nothing "
            f"was run. Install it (pip install {driver}, or the driver your database's SQLAlchemy dialect names), "
            "or leave hydra.sweeper.storage unset to keep the study in <sweep dir>/optuna.db."
        ) from err
    except Exception as err:  # SQLAlchemy's URL and connection errors, Optuna's direction mismatch: all input
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(
            f"hydra.sweeper.storage={shown!r} cannot hold the study {study_name!r} ({reason.replace(url, shown)}); "
            "nothing was run. Give a SQLAlchemy URL of a database this machine can reach, e.g. "
            "hydra.sweeper.storage=sqlite:///logs/optuna.db or postgresql://user:password@host/db, with the "
            "study's own direction, or leave it unset to keep the study in <sweep dir>/optuna.db."
        ) from err
    seed = {"seed": sampler.seed + len(study.trials)} if sampler.get("seed") is not None else {}
    study.sampler = instantiate(sampler, **seed)
    return study


def ask(study: optuna.Study, space: dict) -> Trial:
    """A new trial, marked with this worker, so another worker can tell whether it is still being run."""
    trial = study.ask(space)
    trial.set_user_attr(WORKER, {"host": socket.gethostname(), "pid": os.getpid()})
    return trial


def _gone(worker: object) -> bool:
    """True if the worker ran on this host and its process no longer exists (as a run's `metrics.json` tells)."""
    if not isinstance(worker, dict):
        return False
    return describe_status({"status": RUNNING, "pid": worker.get("pid"), "host": worker.get("host")}) == "killed"


def fail_stale_trials(study: optuna.Study) -> None:
    """Trials left RUNNING by a worker that is gone are marked failed; they do not count towards n_trials.

    A trial asked on another machine is left alone: from here its worker cannot be told from a live one.
    """
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = t.user_attrs.get(WORKER)
        if _gone(worker):
            log.warning("Trial %d was cut off with its worker (%s): marked failed, not counted.", t.number, worker)
            study.tell(t.number, state=TrialState.FAIL)


def _counts(trial: FrozenTrial) -> bool:
    return bool(trial.user_attrs.get(RAN)) or trial.state == TrialState.RUNNING


def trials_counted(study: optuna.Study) -> int:
    """Trials that count towards `n_trials`: those that ran to their end, and those another worker is running."""
    return sum(1 for t in study.get_trials(deepcopy=False) if _counts(t))


def beyond_n_trials(study: optuna.Study, trial: Trial, n_trials: int) -> bool:
    """Whether `n_trials` counted trials came before `trial` (by number): two workers that counted at the same
    moment each saw room for one more, and asked; the later number is the one too many."""
    return sum(1 for t in study.get_trials(deepcopy=False) if t.number < trial.number and _counts(t)) >= n_trials
