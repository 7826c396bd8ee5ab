import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from idx import write_mnist

# A suite started in the background by a non-interactive shell (`pytest ... &`, nohup) inherits SIGINT
# ignored, and so would every ganzoo process the tests start: the Ctrl-C tests need it delivered.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# One intra-op thread: the models in tests are tiny, and on a shared machine a second
# thread spins against other jobs (the zoo's tests took 54 s with two, 8 s with one).
# Set before torch is imported, so subprocesses inherit it too.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# `ganzoo eval` keeps reference features in a cache folder (ganzoo.eval.feature_cache): the tests keep theirs in
# a fresh temporary folder, removed at exit, never the user's ~/.cache/ganzoo.
os.environ["GANZOO_CACHE"] = tempfile.mkdtemp(prefix="ganzoo-test-cache-")
atexit.register(shutil.rmtree, os.environ["GANZOO_CACHE"], True)

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "vanilla_mnist.yaml"


def real_mnist_root(environ=os.environ) -> Path:
    """Where the tests on the real MNIST read it: $GANZOO_DATA (the folder holding MNIST/raw/), as a
    run does, else ../shared/datasets beside the clone."""
    return Path(environ.get("GANZOO_DATA") or ROOT / ".." / "shared" / "datasets").resolve()


REAL_MNIST_ROOT = real_mnist_root()
SHARED_DATA = REAL_MNIST_ROOT  # the name the tests on the real MNIST import

REAL_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                    "t10k-labels-idx1-ubyte")


def real_mnist_missing(root: Path = REAL_MNIST_ROOT) -> str:
    """Why the tests on the real MNIST cannot run ('' when its four files are in ``root``/MNIST/raw/)."""
    raw = root / "MNIST" / "raw"
    missing = [name for name in REAL_MNIST_FILES if not (raw / name).is_file() or (raw / name).stat().st_size == 0]
    return (f"the real MNIST is not in {raw}/ (missing {', '.join(missing)}); set GANZOO_DATA to the folder "
            "that holds MNIST/raw/ to run these tests") if missing else ""


needs_real_mnist = pytest.mark.skipif(bool(real_mnist_missing()), reason=real_mnist_missing() or "present")

# Tiny but complete: every override a test run needs to finish in a second or two.
QUICK = ["train.epochs=2", "train.batch_size=64", "train.log_every=2", "output.grid_size=16",
         "dataset.params.download=false"]


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory) -> Path:
    """A 512-image MNIST in torchvision's layout (real IDX files)."""
    return write_mnist(tmp_path_factory.mktemp("data"))


@pytest.fixture
def data_env(mnist_root, monkeypatch) -> Path:
    monkeypatch.setenv("GANZOO_DATA", str(mnist_root))
    return mnist_root


def run_ganzoo(*args, env=None, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    """Run the ganzoo CLI in a fresh process, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "ganzoo", *map(str, args)], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=timeout)
