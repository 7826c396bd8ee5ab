"""Several machines, tested on one: two torchrun "nodes" on the loopback, one process each (gloo), reading
a packed dataset from disk, give the numbers of one process and resume after both are killed (kill -9).
Each rank reads only its share of every batch."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT
from ganzoo.storage.packed import PackedImages, read_manifest
from ganzoo.data import ImageData
from ganzoo.training import checkpoint
from ganzoo.training.distributed import World
from ganzoo.training.feed import Feed
from packed_data import RECIPE, STREAMED, TRAIN, pack, write_folder
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import train

EPOCHS = 20  # 80 steps; the first checkpoint comes at step 4, so a kill right after it lands mid-run
# the fused CPU steps do not run in several processes: both sides take autograd steps
SETTINGS = [*TRAIN, *STREAMED, f"train.epochs={EPOCHS}", "train.step=autograd", "train.log_every=4"]


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    root = tmp_path_factory.mktemp("nodes")
    assert pack(write_folder(root / "images"), root / "packed") == 0
    return root / "packed"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _nodes(port: int, *arguments) -> list[subprocess.Popen]:
    """`torchrun --nnodes 2 --node-rank R` for R = 0, 1, as docs/distributed.md has each machine run it,
    each in its own session."""
    torchrun = Path(sys.executable).with_name("torchrun")
    return [subprocess.Popen([str(torchrun), "--nnodes", "2", "--nproc-per-node", "1", "--node-rank", str(rank),
                              "--master-addr", "127.0.0.1", "--master-port", str(port),
                              "-m", "ganzoo", "run", *map(str, arguments), "--quiet"],
                             cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for rank in range(2)]


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every process below it, deepest first."""
    for child in _children(pid):
        _kill_tree(child)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def _rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_two_loopback_nodes_match_one_process_and_resume_after_a_kill(packed, tmp_path):
    single = tmp_path / "single"
    train(single, [f"dataset.params.path={packed}"], base=SETTINGS)

    run_dir = tmp_path / "nodes"
    nodes = _nodes(_free_port(), RECIPE, *SETTINGS, f"dataset.params.path={packed}", "--out", run_dir)
    try:
        deadline = time.monotonic() + 120
        while not checkpoint.list_checkpoints(run_dir):
            assert all(node.poll() is None for node in nodes), nodes[0].communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the nodes made no progress"
            time.sleep(0.01)
        for node in nodes:  # both machines lose power: their workers (in sessions of their own) and agents
            _kill_tree(node.pid)
        for node in nodes:
            node.communicate(timeout=60)
    finally:
        for node in nodes:
            if node.poll() is None:
                _kill_tree(node.pid)
    assert [node.returncode for node in nodes] == [-signal.SIGKILL] * 2, "the run ended before the kill"
    killed_at = int(checkpoint.list_checkpoints(run_dir)[-1].stem.split("-")[1])
    assert killed_at < EPOCHS * 4

    resumed = _nodes(_free_port(), "--resume", run_dir)
    results = [node.communicate(timeout=240) for node in resumed]
    assert [node.returncode for node in resumed] == [0, 0], results[0][1][-3000:] + results[1][1][-3000:]
    assert results[0][0].strip() == str(run_dir) and results[1][0].strip() == ""  # rank 0 alone reports

    got, want = _rows(run_dir), _rows(single)
    assert [r["step"] for r in got] == [r["step"] for r in want] == list(range(4, EPOCHS * 4 + 1, 4))
    for a, b in zip(got, want):
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert a[key] == pytest.approx(b[key], abs=1e-4), (a["step"], key)
    mine, theirs = checkpoint.load_checkpoint(run_dir)["models"], checkpoint.load_checkpoint(single)["models"]
    for role in theirs:
        for key, value in theirs[role].items():
            torch.testing.assert_close(mine[role][key], value, rtol=1e-4, atol=1e-5)


class Spy(PackedImages):
    """Packed images that remember the rows read."""

    read: list

    def take(self, index, out=None):
        self.read.append(np.asarray(index).tolist())
        return super().take(index, out)


def test_each_rank_reads_only_its_share_of_each_batch(packed):
    batches = {}
    for rank in range(2):
        images = Spy(packed, read_manifest(packed))
        images.read = []
        feed = Feed(ImageData(images=images), batch_size=16, world=World(rank, 2), device=torch.device("cpu"),
                    memory_budget_gb=0, prefetch=2)
        order, target_order = feed.orders(torch.Generator().manual_seed(5))
        shown = [batch.images for batch in feed.batches(order, target_order, first=1)]
        assert len(shown) == 3 and all(images.shape == (8, 3, 8, 8) for images in shown)
        for batch, images_of_batch in zip(images.read, shown):
            assert torch.equal(torch.from_numpy(images.take(np.asarray(batch))).float() / 127.5 - 1,
                               images_of_batch)
        batches[rank] = images.read[:3]
    order = torch.randperm(64, generator=torch.Generator().manual_seed(5)).tolist()
    for k, (zero, one) in enumerate(zip(batches[0], batches[1]), start=1):
        assert zero + one == order[k * 16:(k + 1) * 16]  # the two halves of global batch k, nothing more
