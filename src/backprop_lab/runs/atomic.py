"""Writing files so a reader, a crash or a full disk never leaves half of one.

Every file the template writes goes to a temp file in the destination folder
(the same file system, so the rename is atomic), is flushed and fsynced, then
renamed over the old one with `os.replace`. A failed write deletes its temp
file and leaves the previous good file as it was. A temp file in `$TMPDIR`
would not do: when the destination is on another file system the rename
fails and the copy that replaces it can be cut off half way.
"""

import errno
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from backprop_lab.errors import WriteFailed

log = logging.getLogger(__name__)

# The errors a full disk, a quota, a read-only mount or a permission produce: the user's to fix, not a bug.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; some file systems do not allow it, which costs only durability."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", needed: int | None = None) -> Iterator[IO[Any]]:
    """Yield a file to write; on success it replaces `path`, on any failure `path` is untouched.

    A disk-full or permission error becomes `WriteFailed`, which names the
    file and, when known, how many bytes it needed (`needed`) and how many
    were free.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide a shared run folder's files from its readers
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_folder(path.parent)
    except OSError as err:
        if err.errno in DISK_ERRNOS:
            raise write_failed(path, err, needed) from err
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_failed(path: Path | None, err: OSError, needed: int | None = None, folder: Path | None = None) -> WriteFailed:
    """The one-paragraph error for a file that could not be written (`path`, or an unnamed one in `folder`)."""
    folder = path.parent if path is not None else folder
    free = _free_bytes(folder) if folder is not None else None
    sizes = []
    if needed is not None:
        sizes.append(f"it needed {_size(needed)}")
    if free is not None:
        sizes.append(f"{_size(free)} free on that file system")
    detail = f" ({', '.join(sizes)})" if sizes else ""
    what = path if path is not None else f"a file of the run in {folder}" if folder is not None else "a file of the run"
    return WriteFailed(
        f"Could not write {what}: {err.strerror or err}{detail}. Any previous version of that file is intact. "
        "Free some space (or raise the quota), or make the folder writable, or point the run elsewhere with "
        "hydra.run.dir=<folder>; then resume the run from its last checkpoint."
    )


def as_write_failure(err: BaseException, run_dir: Path | None = None) -> WriteFailed | None:
    """`err` as a `WriteFailed` if it, or an error it was raised from, is a disk-full or permission error.

    An error that names no file (a write to an open stream: a log, an event file) is told as a file of
    `run_dir`, and the free space is that folder's, not the working directory's.
    """
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, WriteFailed):
            return seen
        if isinstance(seen, OSError) and seen.errno in DISK_ERRNOS:
            return write_failed(Path(seen.filename) if seen.filename else None, seen, folder=run_dir)
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def write_failures_in_threads_logged(run_dir: Path) -> Iterator[None]:
    """A background writer that hits a full disk or a read-only folder logs one line instead of a traceback.

    TensorBoard writes its event files from a thread of its own; when the disk
    fills, that thread dies with an `OSError` and Python prints its traceback.
    The run itself then stops at its next write in the main thread, with the
    one paragraph above; the thread only needs to say what it lost. Any other
    error in a thread keeps Python's report.
    """
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        failure = as_write_failure(args.exc_value, run_dir) if args.exc_value is not None else None
        if failure is None:
            previous(args)
            return
        logging.raiseExceptions = False  # the run's log file may sit on that same full disk: no traceback from it
        thread = f"{args.thread.name} ({type(args.thread).__module__})" if args.thread is not None else "?"
        log.warning("The background thread %s stopped writing: %s", thread, args.exc_value)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


def _free_bytes(folder: Path) -> int | None:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def write_json_atomic(path: str | Path, data: dict[str, Any]) -> None:
    """Write JSON so a reader sees the old file or the new one, never half of one."""
    text = json.dumps(data, indent=2) + "\n"
    with atomic_write(path, "w", needed=len(text.encode())) as f:
        f.write(text)


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_write(path, "w", needed=len(text.encode())) as f:
        f.write(text)


def save_figure_atomic(figure: Any, path: str | Path, **savefig_kwargs: Any) -> None:
    """`figure.savefig` through a temp file; the format comes from the final name, not the temp one."""
    path = Path(path)
    with atomic_write(path, "wb") as f:
        figure.savefig(f, format=path.suffix.lstrip(".") or "png", **savefig_kwargs)
