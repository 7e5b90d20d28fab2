"""MLflow into a store on this machine: a SQLite database and an artifact folder under `logs/mlflow/`.

Lightning's `MLFlowLogger` does the logging (params, metrics, checkpoints as
artifacts at the end of the fit). This adds what a local store needs and a
template run has: the database's folder is created and relative paths are
made absolute (so `mlflow ui` started from anywhere finds the artifacts), the
config's `tags` list becomes MLflow run tags, the run folder is recorded as
a tag, the checkpoint logged is the best one by val/loss rather than
`last.ckpt` (see `after_save_checkpoint`), and metrics are written in batches.

Why a lock: MLflow creates a new SQLite store's tables on first use, and
runs that start together (a parallel sweep) created them at once and failed
("duplicate column name", "UNIQUE constraint failed"); so every process
writes a local SQLite store in turn, under `<database>.lock`. A store that
cannot be written or reached (read-only, full, a server that does not answer
within a few seconds) ends the run with one paragraph; the run folder and
its checkpoints stay as they are.

Why batches: Lightning's logger writes each `log_metrics` call as its own
`log_batch`, one SQLite transaction; the update telemetry and the epoch
metrics make about seven such calls an XOR epoch, and the transactions cost
several times the epoch itself (docs/performance.md). Collected and written
every `flush_every` metrics or `flush_every_s` (and when the fit or test
ends), they cost a small part of an epoch. A run killed outright loses at
most one batch.
"""

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.loggers.logger import rank_zero_experiment
from lightning.pytorch.utilities import rank_zero_only

from backprop_lab.errors import StoreUnavailable, UserError

try:
    import fcntl
except ImportError:  # Windows: no lock between processes; parallel runs there need a tracking server
    fcntl = None

log = logging.getLogger(__name__)

SQLITE = "sqlite:///"


# A tracking server that does not answer: MLflow's defaults retry for minutes (252 s measured) before failing.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}
HTTP_DEFAULTS["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "1"


def unusable(uri: str, err: BaseException) -> StoreUnavailable:
    first = (str(err).strip().splitlines() or [""])[0][:300]
    return StoreUnavailable(
        f"The MLflow store {uri} cannot be used ({type(err).__name__}: {first}). A local store must be a "
        "writable folder with free space; a server must answer (logger.mlflow.tracking_uri=http://HOST:5000). "
        "Fix it, point logger.mlflow.tracking_uri elsewhere, or log without MLflow (logger=tensorboard). "
        "The run folder and its checkpoints are kept."
    )


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


def check_opens(uri: str) -> None:
    """Open a local SQLite store once: MLflow retries a database it cannot open for 100 s before it fails."""
    if not uri.startswith(SQLITE):
        return
    try:
        with contextlib.closing(sqlite3.connect(uri.removeprefix(SQLITE).split("?")[0])) as database:
            database.execute("PRAGMA schema_version")
    except sqlite3.Error as err:
        raise unusable(uri, err) from err


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
        self._held = 0
        self._uri = local_tracking_uri(tracking_uri)
        with self._store():
            check_opens(self._uri)
            super().__init__(
                experiment_name=experiment_name,
                tracking_uri=self._uri,
                artifact_location=local_artifact_location(artifact_location),
                tags=run_tags(tags, run_folder),
                **kwargs,
            )
        self.flush_every, self.flush_every_s = flush_every, flush_every_s
        self._pending: list[Any] = []
        self._flushed_at = time.monotonic()

    @contextlib.contextmanager
    def _store(self) -> Iterator[None]:
        """The store to this process alone (a local SQLite one, under its lock); its failures as one paragraph."""
        with contextlib.ExitStack() as held:
            try:
                if self._held == 0 and fcntl is not None and self._uri.startswith(SQLITE):
                    lock = held.enter_context(Path(self._uri.removeprefix(SQLITE).split("?")[0] + ".lock").open("a"))
                    fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                self._held += 1
                held.callback(self._release)
                yield
            except UserError:
                raise
            except Exception as err:  # MLflow, SQLAlchemy and requests each fail in their own classes
                raise unusable(self._uri, err) from err

    def _release(self) -> None:
        self._held -= 1

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
