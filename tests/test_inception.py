"""`ganzoo eval --features inception`: the weights downloaded from a loopback server (stand-in bytes: checksum,
progress bar, nothing left by a refused or broken download); offline without them, one line saying where they
go; with a file there (a randomly initialised stand-in), that file is what loads."""

from __future__ import annotations

import pytest
import torch

from ganzoo import GanzooError, cli
from ganzoo.eval import inception


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def test_offline_without_the_weights_eval_says_where_to_put_them(torch_home, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(inception, "WEIGHTS_URL", f"http://127.0.0.1:{closed_port()}/{inception.WEIGHTS_FILE}")
    assert cli.main(["eval", str(tmp_path), "--features", "inception"]) == 2
    error = capsys.readouterr().err.strip()
    expected = torch_home / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    assert len(error.splitlines()) == 1 and "cannot download the Inception weights" in error
    assert f"put {inception.WEIGHTS_FILE} at {expected} " in error
    assert not torch_home.exists()  # the folders made for the download are gone


def closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server():
    """A loopback HTTP server: ``files[path] = bytes`` serves them; ``short[path] = (bytes, length)`` announces
    ``length`` bytes and closes the connection after sending fewer."""
    import http.server
    import threading

    files, short = {}, {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path in short:
                body, length = short[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files, short
    httpd.shutdown()
    httpd.server_close()


STAND_IN = b"stand-in weights " * 5000


def test_the_weights_are_downloaded_whole_with_their_checksum(server, tmp_path, capsys):
    import hashlib

    base, files, _ = server
    files["/w.pth"] = STAND_IN
    target = tmp_path / "cache" / "hub" / "checkpoints" / inception.WEIGHTS_FILE
    inception.download_weights(f"{base}/w.pth", target, hashlib.sha256(STAND_IN).hexdigest())
    assert target.read_bytes() == STAND_IN and [p.name for p in target.parent.iterdir()] == [target.name]
    assert "%" in capsys.readouterr().err  # the progress bar


@pytest.mark.parametrize("case", ["checksum", "partial", "missing"])
def test_a_refused_or_broken_download_leaves_nothing_behind(server, tmp_path, case):
    base, files, short = server
    files["/w.pth"] = STAND_IN
    short["/cut.pth"] = (STAND_IN[:1000], len(STAND_IN))
    url, words = {"checksum": (f"{base}/w.pth", "do not match their SHA-256"),
                  "partial": (f"{base}/cut.pth", "do not match their SHA-256"),  # cut short: the checksum says
                  "missing": (f"{base}/nope.pth", "cannot download")}[case]
    target = tmp_path / "cache" / "hub" / "checkpoints" / inception.WEIGHTS_FILE
    with pytest.raises(GanzooError, match=words) as error:
        inception.download_weights(url, target, "0" * 64, progress=False)
    assert len(str(error.value).splitlines()) == 1 and str(target) in str(error.value)
    assert not (tmp_path / "cache").exists()  # neither the file, a partial one, nor the folders made for it


def test_eval_features_inception_downloads_missing_weights_before_anything_slow(torch_home, server, tmp_path,
                                                                                  monkeypatch, capsys):
    import hashlib

    base, files, _ = server
    files["/w.pth"] = STAND_IN
    monkeypatch.setattr(inception, "WEIGHTS_URL", f"{base}/w.pth")
    monkeypatch.setattr(inception, "WEIGHTS_SHA256", hashlib.sha256(STAND_IN).hexdigest())
    assert cli.main(["eval", str(tmp_path / "no-run"), "--features", "inception"]) == 2  # then: no such run
    assert "run directory" in capsys.readouterr().err
    assert inception.weights_path().read_bytes() == STAND_IN  # cached: later evaluations read it offline


def test_the_weights_file_in_torch_hubs_cache_is_the_one_loaded(torch_home, monkeypatch):
    from torch_fidelity import feature_extractor_inceptionv3 as fidelity

    with monkeypatch.context() as patch:  # a random network, built without its weights: the stand-in's
        patch.setattr(fidelity, "load_state_dict_from_url", lambda *args, **kwargs: {})
        patch.setattr(fidelity.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        torch.manual_seed(0)
        stand_in = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"]).state_dict()
    path = inception.weights_path()
    assert path == torch_home / "hub" / "checkpoints" / inception.WEIGHTS_FILE
    path.parent.mkdir(parents=True)
    torch.save(stand_in, path)

    model, digest = inception.load_inception("cpu")
    assert torch.equal(model.fc.weight, stand_in["fc.weight"]) and len(digest) == 64
    images = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    features = inception.embed_inception(model, images)
    assert features.features.shape == (2, 2048) and features.probs.shape == (2, 1008)
    assert torch.allclose(features.probs.sum(1), torch.ones(2))


def test_a_damaged_weights_file_is_one_line(torch_home, capsys):
    path = inception.weights_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(Exception, match="cannot load the Inception weights") as error:
        inception.load_inception("cpu")
    assert len(str(error.value).splitlines()) == 1


REAL_WEIGHTS = inception.weights_path()  # under $TORCH_HOME as the tests start, before any fixture moves it


@pytest.mark.skipif(not REAL_WEIGHTS.is_file(),
                    reason=f"torch-fidelity's Inception weights are not at {REAL_WEIGHTS} (`ganzoo eval --features "
                           "inception` downloads them there)")
def test_fid_through_inception_is_torch_fidelitys_on_the_same_images():
    import torch_fidelity
    from ganzoo_metrics import maths

    class Images(torch.utils.data.Dataset):
        def __init__(self, images):
            self.images = images

        def __len__(self):
            return len(self.images)

        def __getitem__(self, index):
            return self.images[index]

    rng = torch.Generator().manual_seed(0)
    first = torch.randint(0, 256, (12, 3, 32, 32), generator=rng, dtype=torch.uint8)  # Inception is slow on a CPU
    second = (first.float() * 0.7 + 20).to(torch.uint8)
    model, _ = inception.load_inception("cpu")
    ours = maths.frechet_distance(inception.embed_inception(model, first).features,
                                  inception.embed_inception(model, second).features)
    theirs = torch_fidelity.calculate_metrics(input1=Images(first), input2=Images(second), fid=True, cuda=False,
                                              feature_extractor_weights_path=str(REAL_WEIGHTS), verbose=False,
                                              cache=False)["frechet_inception_distance"]
    assert ours == pytest.approx(theirs, rel=1e-4)
