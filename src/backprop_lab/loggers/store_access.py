"""Access to an MLflow store for one process at a time, and its failures as one paragraph.

MLflow creates a new SQLite store's tables on first use; runs that started
together (a parallel sweep) created them at once and all but one failed
("duplicate column name", "UNIQUE constraint failed"). So every process
writes a local SQLite store in turn, under `<database>.lock`; the writes are
few (metrics go in batches), the wait short. A store that cannot be used
(read-only, full, a file that is no database, a server that does not answer)
fails within seconds, with one paragraph that names it.
"""

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from backprop_lab.errors import StoreUnavailable, UserError

try:
    import fcntl
except ImportError:  # Windows: no lock between processes; parallel runs there need a tracking server
    fcntl = None

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


def check_opens(uri: str) -> None:
    """Open a local SQLite store once: MLflow retries a database it cannot open for 100 s before it fails."""
    if not uri.startswith(SQLITE):
        return
    try:
        with contextlib.closing(sqlite3.connect(uri.removeprefix(SQLITE).split("?")[0])) as database:
            database.execute("PRAGMA schema_version")
    except sqlite3.Error as err:
        raise unusable(uri, err) from err


class StoreAccess:
    """`with access():` the store to this process alone (a local SQLite one, under its lock); re-entrant."""

    def __init__(self, uri: str) -> None:
        self.uri, self._held = uri, 0

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with contextlib.ExitStack() as held:
            try:
                if self._held == 0 and fcntl is not None and self.uri.startswith(SQLITE):
                    lock = held.enter_context(Path(self.uri.removeprefix(SQLITE).split("?")[0] + ".lock").open("a"))
                    fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                self._held += 1
                held.callback(self._release)
                yield
            except UserError:
                raise
            except Exception as err:  # MLflow, SQLAlchemy and requests each fail in their own classes
                raise unusable(self.uri, err) from err

    def _release(self) -> None:
        self._held -= 1
