"""Writing ``ganzoo compare``'s two files: both or neither."""

from __future__ import annotations

import contextlib
from pathlib import Path

from ganzoo.compare.picture import write_picture
from ganzoo.compare.table import Table, write_csv
from ganzoo.output.files import missing_folders, remove_folders, write_error

CSV_FILE = "compare.csv"
PICTURE_FILE = "compare.png"


def write_comparison(runs, table: Table, out: Path) -> Path:
    """``compare.csv`` and ``compare.png`` of ``runs`` in ``out`` (made if need be); the picture's path.
    A failure (a full disk) leaves neither new file, nor the folders made for them."""
    made = missing_folders(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(out / PICTURE_FILE, error) from error
    written = []
    try:
        write_csv(table, out / CSV_FILE)
        written.append(out / CSV_FILE)
        write_picture(runs, out / PICTURE_FILE, notes=[row[2] for row in table[1]])
    except BaseException:
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()
        remove_folders(made)
        raise
    return out / PICTURE_FILE
