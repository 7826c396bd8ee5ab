"""Atomic writes leave files with the permissions a plain open() would."""

from __future__ import annotations

import os
import stat

import pytest

from ganzoo.output.files import write_text_atomic


@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back."""
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_file_honours_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    write_text_atomic(tmp_path / "recipe.yaml", "seed: 0\n")
    assert mode(tmp_path / "recipe.yaml") == expected


def test_a_replaced_file_keeps_its_permissions(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "metrics.jsonl"
    target.write_text("{}\n")
    os.chmod(target, 0o640)
    write_text_atomic(target, "{}\n{}\n")
    assert mode(target) == 0o640 and target.read_text() == "{}\n{}\n"
