"""One process per run folder: a lock file, held with flock(2) while a run trains.

The kernel drops the lock when its process ends, however it ends (kill -9 too), so a
lock file left behind by a dead process never blocks. A process may take the lock of a
folder it already holds (a test that trains twice in one process). The ``--nproc``
launcher holds the lock for its ranks and names the folder in ``GANZOO_RUN_LOCK_HELD``.
On systems without flock (Windows) runs are not locked.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ganzoo.errors import GanzooError
from ganzoo.training.run_folder import LOCK_FILE

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

HELD_ENV = "GANZOO_RUN_LOCK_HELD"

_held: dict[str, int] = {}  # resolved run folder -> the open lock file of this process


def acquire(run_dir: str | Path) -> None:
    """Hold ``run_dir``'s lock, or raise the one-line error naming the process that holds it."""
    key = _key(run_dir)
    if fcntl is None or key in _held or os.environ.get(HELD_ENV) == key:
        return
    path = Path(key) / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise GanzooError(f"cannot write {path}: {error.strerror or error}; choose a writable folder") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        holder = _holder(fd)
        os.close(fd)
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise GanzooError(f"cannot lock {path}: {error.strerror or error}") from error
        raise GanzooError(f"{run_dir} is in use by another ganzoo process{holder}: one run folder takes one "
                          "process at a time; wait for it to end, or stop it (Ctrl-C) and resume") from error
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _held[key] = fd


def release(run_dir: str | Path) -> None:
    """Let go of ``run_dir``'s lock, if this process holds it."""
    fd = _held.pop(_key(run_dir), None)
    if fd is not None:
        os.close(fd)  # closing the file drops the flock


def _key(run_dir: str | Path) -> str:
    return str(Path(run_dir).resolve())


def _holder(fd: int) -> str:
    """' (pid N)' from the lock file the holding process wrote, or nothing when it is unreadable."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {text})" if text.isdigit() else ""
