"""Atomic file writes: a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from ganzoo.errors import GanzooError


@contextlib.contextmanager
def atomic_writer(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only once fully written and synced."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise GanzooError(f"cannot write {path}: {error.strerror or error}; choose a writable folder") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_for(path))  # mkstemp makes 0600; open() would honour the umask
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            hint = ("; free some disk space or choose another folder" if error.errno in (errno.ENOSPC, errno.EDQUOT)
                    else "; check the folder's permissions and free space")
            raise GanzooError(f"cannot write {path}: {error.strerror or error}{hint}") from error
        raise
    _fsync_dir(path.parent)


def _mode_for(path: Path) -> int:
    """The permissions ``open(path, "w")`` would leave: an existing file's own, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask: from /proc on Linux; elsewhere set and put back at once (reading it means setting it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    with atomic_writer(path) as handle:
        write(handle)


def write_text_atomic(path: str | Path, text: str) -> None:
    write_atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
