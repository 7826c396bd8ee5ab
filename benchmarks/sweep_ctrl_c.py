"""End to end, the case of issue 24: Ctrl-C on a sweep while two runs train (--jobs 2), then the command it
prints, `ganzoo run --resume SWEEP_DIR`, finishes exactly the runs that did not finish, each to its last step.

Too slow for the test suite on a shared 2-core machine (six interpreter starts, about a minute); the logic
is tested there on a sweep folder laid out as a Ctrl-C leaves it (tests/test_sweep.py).

    python benchmarks/sweep_ctrl_c.py        # exits 0 when every check holds
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def statuses(out: Path) -> list[str]:
    return [run["status"] for run in json.loads((out / "sweep.json").read_text())["runs"]]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sweep"
        sweep = subprocess.Popen([sys.executable, "-m", "ganzoo", "run", "gaussians_ring", "-m", "train.epochs=3",
                                  "train.log_every=1", "dataset.params.samples=2560", "seed=0,1,2", "--jobs", "2",
                                  "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
        deadline = time.monotonic() + 120
        while not list(out.glob("run-*/metrics.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.05)
        sweep.send_signal(signal.SIGINT)
        output, _ = sweep.communicate(timeout=120)
        assert sweep.returncode == 130, output
        assert f"finish the sweep (exactly the runs that did not finish) with: ganzoo run --resume {out}" in output
        print("after Ctrl-C:", statuses(out))
        result = subprocess.run([sys.executable, "-m", "ganzoo", "run", "--resume", str(out)], cwd=ROOT,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        assert statuses(out) == ["finished"] * 3, statuses(out)
        for member in ("run-000", "run-001", "run-002"):
            last = json.loads((out / member / "metrics.jsonl").read_text().splitlines()[-1])
            assert last["step"] == 30, (member, last)
        print("after ganzoo run --resume:", statuses(out), "- every run at step 30")
    return 0


if __name__ == "__main__":
    sys.exit(main())
