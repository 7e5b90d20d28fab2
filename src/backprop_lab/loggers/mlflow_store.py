"""MLflow into a store on this machine: a SQLite database and an artifact folder under `logs/mlflow/`.

Lightning's `MLFlowLogger` does the logging (params, metrics, checkpoints as
artifacts at the end of the fit). This adds what a local store needs and a
template run has: the database's folder is created and relative paths are
made absolute (so `mlflow ui` started from anywhere finds the artifacts), the
config's `tags` list becomes MLflow run tags, the run folder is recorded as
a tag, the checkpoint logged is the best one by val/loss rather than
`last.ckpt` (see `after_save_checkpoint`), and metrics are written in batches.

Parallel runs into one new SQLite store, and a store that cannot be used:
see `loggers/store_access.py` (one process at a time, one paragraph).

Why batches: Lightning's logger writes each `log_metrics` call as its own
`log_batch`, one SQLite transaction; the update telemetry and the epoch
metrics make about seven such calls an XOR epoch, and the transactions cost
several times the epoch itself (docs/performance.md). Collected and written
every `flush_every` metrics or `flush_every_s` (and when the fit or test
ends), they cost a small part of an epoch. A run killed outright loses at
most one batch.
"""

import logging
import os
import time
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only

from backprop_lab.errors import StoreUnavailable
from backprop_lab.loggers.store_access import HTTP_DEFAULTS, SQLITE, StoreAccess, check_opens, unusable

log = logging.getLogger(__name__)


def local_tracking_uri(uri: str) -> str:
    """A `sqlite:///relative/path.db` URI made absolute, its folder created; any other URI unchanged."""
    if not uri.startswith(SQLITE):
        return uri
    database = Path(uri.removeprefix(SQLITE)).absolute()
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise unusable(uri, err) from err
    return SQLITE + str(database)


def local_artifact_location(location: str | None) -> str | None:
    """A plain folder path as an absolute `file://` URI; a URI (`s3://...`, `file:...`) or None unchanged."""
    if location is None or "://" in location or location.startswith("file:"):
        return location
    return Path(location).absolute().as_uri()


def run_tags(tags: Sequence[str] | Mapping[str, Any] | None, run_folder: str | None) -> dict[str, str]:
    """MLflow's run tags are key-value pairs: each config tag becomes `<tag>: true`, plus `run_folder`."""
    if isinstance(tags, Mapping):
        pairs = {str(key): str(value) for key, value in tags.items()}
    else:
        pairs = {str(tag): "true" for tag in tags or []}
    if run_folder:
        pairs["run_folder"] = str(Path(run_folder).absolute())
    return pairs


class LocalMLFlowLogger(MLFlowLogger):
    """Lightning's MLFlowLogger with a local SQLite store by default, list tags and the best checkpoint logged."""

    def __init__(
        self,
        experiment_name: str = "train",
        tracking_uri: str = "sqlite:///logs/mlflow/mlflow.db",
        artifact_location: str | None = "logs/mlflow/artifacts",
        tags: Sequence[str] | Mapping[str, Any] | None = None,
        run_folder: str | None = None,
        flush_every: int = 1000,
        flush_every_s: float = 10.0,
        **kwargs: Any,
    ) -> None:
        if tracking_uri.startswith(("http://", "https://")):
            for name, value in HTTP_DEFAULTS.items():
                os.environ.setdefault(name, value)  # what the environment sets wins
        uri = local_tracking_uri(tracking_uri)
        self._store = StoreAccess(uri)
        with self._store():
            check_opens(uri)
            super().__init__(
                experiment_name=experiment_name,
                tracking_uri=uri,
                artifact_location=local_artifact_location(artifact_location),
                tags=run_tags(tags, run_folder),
                **kwargs,
            )
        self.flush_every, self.flush_every_s = flush_every, flush_every_s
        self._pending: list[Any] = []
        self._flushed_at = time.monotonic()

    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        with self._store():
            return MLFlowLogger.experiment.fget(self)

    @rank_zero_only
    def log_hyperparams(self, params: Any) -> None:
        with self._store():
            super().log_hyperparams(params)

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self._pending += [
            Metric(
                key=f"{self._prefix}{self.LOGGER_JOIN_CHAR if self._prefix else ''}{name}",
                value=float(value),
                timestamp=now,
                step=step or 0,
            )
            for name, value in metrics.items()
            if not isinstance(value, str)
        ]
        if len(self._pending) >= self.flush_every or time.monotonic() - self._flushed_at >= self.flush_every_s:
            self.flush()

    @rank_zero_only
    def flush(self) -> None:
        """Write the collected metrics, at most 1000 a call (MLflow's limit)."""
        pending, self._pending = self._pending, []
        with self._store():
            for start in range(0, len(pending), 1000):
                self.experiment.log_batch(run_id=self.run_id, metrics=pending[start : start + 1000])
        self._flushed_at = time.monotonic()

    @rank_zero_only
    def finalize(self, status: str = "success") -> None:
        """Write what is left and close the run; after a failure, a store that fails too only gets a warning."""
        try:
            with self._store():
                self.flush()
                super().finalize(status)
        except StoreUnavailable as err:
            if status == "success":
                raise
            log.warning("%s", err)

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        """Keep the checkpoint callback that monitors a metric, if there is one.

        Lightning's logger logs the checkpoints of whichever callback saved
        last; here `last_checkpoint` saves after `model_checkpoint` every
        epoch, so it would log `last.ckpt` and never the best one.
        """
        kept = self._checkpoint_callback
        super().after_save_checkpoint(checkpoint_callback)
        if kept is not None and kept.monitor is not None and checkpoint_callback.monitor is None:
            self._checkpoint_callback = kept


def mlflow_logger(optional: bool = False, **kwargs: Any) -> LocalMLFlowLogger | None:
    """Build the MLflow logger; with `optional=True` (as `logger=many` sets) skip it if mlflow is not installed."""
    if find_spec("mlflow") is None:
        if not optional:
            raise ModuleNotFoundError("No module named 'mlflow'")
        log.info("MLflow is not installed (pip install -e '.[mlflow]'), so this run logs without it.")
        return None
    return LocalMLFlowLogger(**kwargs)
