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
    fd, tmp = _temporary_beside(path)
    with _put_in_place(tmp, path):
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_for(path))  # mkstemp makes 0600; open() would honour the umask
            yield handle
            handle.flush()
            os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """For writers that take a file name: the name of a temporary file beside ``path``, renamed over
    ``path`` once the writer is done (and the file synced), removed whatever goes wrong."""
    path = Path(path)
    fd, tmp = _temporary_beside(path)
    os.close(fd)
    with _put_in_place(tmp, path):
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fchmod(handle.fileno(), _mode_for(path))
            os.fsync(handle.fileno())


@contextlib.contextmanager
def _put_in_place(tmp: str, path: Path) -> Iterator[None]:
    """Rename the temporary file ``tmp`` over ``path`` once the block is done; remove it if the block fails."""
    try:
        yield
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise write_error(path, error) from error
        raise
    _fsync_dir(path.parent)


def _temporary_beside(path: Path) -> tuple[int, str]:
    """An open temporary file in ``path``'s folder (made if need be): (descriptor, name)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise write_error(path, error) from error


def write_error(path: str | Path, error: OSError) -> GanzooError:
    """The one line for ``error``, met while writing ``path`` (a file, or a folder ganzoo fills):
    what is wrong, said of the user's path (never of a temporary file), and how to mend it."""
    path = Path(path)
    why = error.strerror or str(error)
    blocker = _file_in_the_way(path.parent)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        mend = "free some disk space or choose another folder"
    elif blocker is not None:
        mend = f"{blocker} is a file, not a folder: move it out of the way, or choose a writable folder"
    elif error.errno == errno.EISDIR or (path.is_dir() and error.errno != errno.ENOTEMPTY):
        mend = f"{path} is a folder: give a file name (e.g. {path / ('output' + path.suffix)})"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        mend = f"the folder {path.parent} is not writable: choose a writable folder"
    else:
        mend = "check the folder's permissions and free space"
    return GanzooError(f"cannot write {path}: {why}; {mend}")


def missing_folders(folder: str | Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first: what making it makes."""
    missing = []
    for candidate in (Path(folder), *Path(folder).parents):
        if candidate.exists() or candidate.is_symlink():
            break
        missing.append(candidate)
    return missing


def remove_folders(folders: list[Path]) -> None:
    """Remove ``folders`` (``missing_folders`` before a failed write), deepest first, while they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _file_in_the_way(folder: Path) -> Path | None:
    """The nearest of ``folder`` and its parents that exists and is not a folder (it blocks writing there)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


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
