"""The ganzoo executable runs Python's cycle collector less often (ganzoo.fast.collector): importing torch
took 400-odd passes over a growing heap that frees nothing, 0.2 s of every command's start-up."""

import gc
import subprocess
import sys

import pytest

from ganzoo.fast import collector

COUNT_PASSES = """
import gc, sys
from ganzoo.fast.collector import collect_less_often
done = collect_less_often() if sys.argv[1] == "less" else False
passes = [0, 0, 0]
gc.callbacks.append(lambda phase, info: phase == "start" and passes.__setitem__(
    info["generation"], passes[info["generation"]] + 1))
import torch
print(done, *passes)
"""


def passes_over_import(mode: str) -> tuple[bool, list[int]]:
    result = subprocess.run([sys.executable, "-c", COUNT_PASSES, mode], capture_output=True, text=True, check=True)
    done, *passes = result.stdout.split()
    return done == "True", [int(p) for p in passes]


@pytest.mark.skipif(gc.get_threshold() not in collector.PYTHON_DEFAULTS, reason="a Python whose collector differs")
def test_importing_torch_takes_far_fewer_collector_passes():
    done, fewer = passes_over_import("less")
    _, default = passes_over_import("default")
    assert done
    # here: 300-odd young, 30-odd middle and 2-3 full passes by default; 20-odd young ones and nothing else
    assert sum(default) > 100 and default[2] >= 1, default
    assert sum(fewer) < sum(default) / 4 and fewer[1] == fewer[2] == 0, (fewer, default)


def test_thresholds_someone_chose_and_a_disabled_collector_are_left_alone(monkeypatch):
    monkeypatch.setattr(gc, "set_threshold", lambda *a: pytest.fail("changed the thresholds"))
    monkeypatch.setattr(gc, "get_threshold", lambda: (5000, 20, 10))
    assert not collector.collect_less_often()
    monkeypatch.setattr(gc, "get_threshold", lambda: (700, 10, 10))
    monkeypatch.setattr(gc, "isenabled", lambda: False)
    assert not collector.collect_less_often()


def test_the_executable_sets_them_and_python_code_keeps_its_own():
    show = ("import atexit, gc, sys; atexit.register(lambda: print(gc.get_threshold())); "
            "sys.argv = ['ganzoo', '--version']; from ganzoo.cli import console; console()")
    shown = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True)
    before = subprocess.run([sys.executable, "-c", "import gc; print(gc.get_threshold())"],
                            capture_output=True, text=True).stdout.strip()
    if before != "(700, 10, 10)":
        pytest.skip(f"this Python's defaults are {before}")
    assert shown.stdout.strip().endswith(f"({collector.YOUNG}, {collector.MIDDLE}, 10)"), shown
    imported = subprocess.run([sys.executable, "-c", "import gc, ganzoo.cli; from ganzoo.cli import main; "
                               "print(gc.get_threshold())"], capture_output=True, text=True)
    assert imported.stdout.strip() == "(700, 10, 10)"
