"""A worker torchrun started stops when its agent is killed: torchrun starts workers in their own
sessions, so without the parent-death signal a SIGKILL to the agent alone leaves them training."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")

# The worker: as `ganzoo run` does at start, then it says which signal its parent's death sends it (prctl
# PR_GET_PDEATHSIG) and waits, noting a SIGTERM the way the trainer's handler would.
WORKER = textwrap.dedent("""
    import ctypes, signal, sys, time
    from pathlib import Path
    from ganzoo.training import distributed

    out = Path(sys.argv[1])
    signal.signal(signal.SIGTERM, lambda signum, frame: (out.with_suffix(".stopped").write_text("SIGTERM"),
                                                         sys.exit(0)))
    distributed.stop_with_the_torchrun_agent()
    deathsig = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(deathsig), 0, 0, 0)  # PR_GET_PDEATHSIG
    out.write_text(f"{__import__('os').getpid()} {deathsig.value}")
    time.sleep(60)
""")

# The agent: starts the worker in a session of its own, as torchrun does, then waits to be killed.
AGENT = textwrap.dedent("""
    import os, subprocess, sys, time
    subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], start_new_session=True,
                     env={k: v for k, v in os.environ.items() if k != "TORCHELASTIC_RUN_ID" or sys.argv[3] == "1"})
    time.sleep(60)
""")


def _start(tmp_path: Path, under_torchrun: bool):
    out = tmp_path / "worker.txt"
    env = {**os.environ, "TORCHELASTIC_RUN_ID": "ganzoo-test", "PYTHONPATH": str(ROOT)}
    agent = subprocess.Popen([sys.executable, "-c", AGENT, WORKER, str(out), "1" if under_torchrun else "0"],
                             env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while not out.exists() or not out.read_text():
        assert time.monotonic() < deadline and agent.poll() is None, "the worker did not start"
        time.sleep(0.05)
    pid, deathsig = map(int, out.read_text().split())
    return agent, pid, deathsig, out.with_suffix(".stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/status").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


def test_a_torchrun_worker_gets_sigterm_when_its_agent_is_killed(tmp_path):
    agent, worker, deathsig, stopped = _start(tmp_path, under_torchrun=True)
    try:
        assert deathsig == signal.SIGTERM
        agent.kill()  # SIGKILL: the agent forwards nothing
        agent.wait()
        deadline = time.monotonic() + 30
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stopped.read_text() == "SIGTERM"  # through the handler that writes the checkpoint
        assert not _alive(worker)
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)


def test_a_process_not_under_torchrun_keeps_its_parent_death_signal(tmp_path):
    agent, worker, deathsig, _ = _start(tmp_path, under_torchrun=False)
    agent.kill()
    agent.wait()
    os.kill(worker, signal.SIGKILL)
    assert deathsig == 0
