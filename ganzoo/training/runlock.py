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
from ganzoo.output.files import missing_folders, remove_folders, write_error
from ganzoo.training.run_folder import LOCK_FILE

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

HELD_ENV = "GANZOO_RUN_LOCK_HELD"

_held: dict[str, int] = {}  # resolved run folder -> the open lock file of this process
_made: dict[str, list] = {}  # resolved run folder -> the folders acquire made for it (removed if the start fails)


def acquire(run_dir: str | Path) -> None:
    """Hold ``run_dir``'s lock, or raise the one-line error naming the process that holds it."""
    key = _key(run_dir)
    if fcntl is None or key in _held or os.environ.get(HELD_ENV) == key:
        return
    path = Path(key) / LOCK_FILE
    made = missing_folders(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        remove_folders(made)
        raise write_error(path, error) from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        holder = _holder(fd)
        os.close(fd)
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise GanzooError(f"cannot lock {path}: {error.strerror or error}") from error
        raise GanzooError(f"{run_dir} is in use by another ganzoo process{holder}: one run folder takes one "
                          "process at a time; wait for it to end, or stop it (Ctrl-C) and resume") from error
    if not _same_file(fd, path):  # a failed start removed the file we opened: lock the new one
        os.close(fd)
        return acquire(run_dir)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
    except OSError as error:  # a full disk: no lock file, no folder left behind
        _unlink_held(path, fd)
        remove_folders(made)
        raise write_error(path, error) from error
    _held[key] = fd
    _made[key] = made


def abandon(run_dir: str | Path) -> None:
    """Let go of ``run_dir``'s lock after a run failed to start; the lock file and the folders this
    process made for it go too, when nothing else was written there."""
    key = _key(run_dir)
    fd = _held.pop(key, None)
    made = _made.pop(key, [])
    if fd is None:
        return
    path = Path(key) / LOCK_FILE
    try:
        only_the_lock = bool(made) and [entry.name for entry in path.parent.iterdir()] == [LOCK_FILE]
    except OSError:
        only_the_lock = False
    if only_the_lock:
        _unlink_held(path, fd)
        remove_folders(made)
    else:
        os.close(fd)


def release(run_dir: str | Path) -> None:
    """Let go of ``run_dir``'s lock, if this process holds it."""
    _made.pop(_key(run_dir), None)
    fd = _held.pop(_key(run_dir), None)
    if fd is not None:
        os.close(fd)  # closing the file drops the flock


def _unlink_held(path: Path, fd: int) -> None:
    """Remove the lock file while still holding its lock, then let go: a process that opened it
    meanwhile finds it unlinked (``_same_file``) and locks a new one."""
    try:
        path.unlink()
    except OSError:
        pass
    os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        mine, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino)


def _key(run_dir: str | Path) -> str:
    return str(Path(run_dir).resolve())


def _holder(fd: int) -> str:
    """' (pid N)' from the lock file the holding process wrote, or nothing when it is unreadable."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {text})" if text.isdigit() else ""
