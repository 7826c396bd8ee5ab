"""The download path users with a network take: torchvision's, with its checksums.

No network here, so a loopback HTTP server plays the mirror: the real download,
checksum and extraction code runs against it.
"""

import functools
import gzip
import hashlib
import http.server
import threading
from urllib.error import URLError

import pytest
from torchvision.datasets import MNIST
from torchvision.datasets import mnist as torchvision_mnist

from ganzoo import GanzooError
from ganzoo_vanilla.mnist import FILES, MNISTParams, load_mnist

from idx import write_mnist


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """Serve gzipped IDX files on 127.0.0.1 and point torchvision's MNIST at them."""
    source = write_mnist(tmp_path / "source") / "MNIST" / "raw"
    served = tmp_path / "served"
    served.mkdir()
    resources = []
    for name in FILES:
        packed = gzip.compress((source / name).read_bytes())
        (served / f"{name}.gz").write_bytes(packed)
        resources.append((f"{name}.gz", hashlib.md5(packed).hexdigest()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{server.server_address[1]}/"])
    monkeypatch.setattr(MNIST, "resources", resources)
    yield resources
    server.shutdown()
    server.server_close()


def test_missing_files_are_downloaded_checked_and_read(mirror, tmp_path):
    root = tmp_path / "fresh"
    data = load_mnist(MNISTParams(root=str(root), download=True))
    assert len(data) == 512
    assert all((root / "MNIST" / "raw" / name).is_file() for name in FILES)


def test_a_download_with_a_wrong_checksum_is_refused(mirror, tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "resources", [(name, "0" * 32) for name, _ in mirror])
    with pytest.raises(GanzooError, match=r"MNIST not found in .* and the download failed") as error:
        load_mnist(MNISTParams(root=str(tmp_path / "fresh"), download=True))
    assert "\n" not in str(error.value)
    assert not (tmp_path / "fresh").exists()  # neither the folders nor the refused files are left behind


def test_offline_with_no_data_is_one_line_naming_folder_and_files(tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # nothing listens on the discard port
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with pytest.raises(GanzooError) as error:
        load_mnist(MNISTParams(root=str(tmp_path), download=True))
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / "MNIST" / "raw") in message
    assert all(name in message for name in FILES)
    assert list(tmp_path.iterdir()) == []  # no empty MNIST/raw/ left behind


def test_a_failed_download_into_an_existing_folder_removes_only_what_it_added(mirror, tmp_path, monkeypatch):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "notes.txt").write_text("mine")
    monkeypatch.setattr(MNIST, "resources", [(name, "0" * 32) for name, _ in mirror])
    with pytest.raises(GanzooError, match="the download failed"):
        load_mnist(MNISTParams(root=str(tmp_path), download=True))
    assert [p.name for p in raw.iterdir()] == ["notes.txt"]


def test_a_failed_download_says_what_failed(tmp_path, monkeypatch):
    """torchvision's error opens with 'Error downloading NAME:' and names each mirror's failure on the
    lines below: the one-line message carries them, not an empty reason."""
    def unreachable(url, **kwargs):
        raise URLError("[Errno 101] Network is unreachable")

    monkeypatch.setattr(torchvision_mnist, "download_and_extract_archive", unreachable)
    monkeypatch.setattr(MNIST, "mirrors", ["https://mirror.example/mnist/"])
    with pytest.raises(GanzooError) as error:
        load_mnist(MNISTParams(root=str(tmp_path), download=True))
    message = str(error.value)
    assert "\n" not in message
    reason = message.partition("the download failed (")[2]
    assert reason.startswith("Error downloading train-images-idx3-ubyte.gz: Tried https://mirror.example/mnist/")
    assert "Network is unreachable" in reason
