"""`ganzoo eval --features inception`: without the weights on disk, one line saying where they go;
with a file there (a randomly initialised stand-in: nothing is downloaded), that file is what loads."""

from __future__ import annotations

import pytest
import torch

from ganzoo import cli
from ganzoo.eval import inception


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch"


def test_without_the_weights_eval_says_where_to_put_them(torch_home, tmp_path, capsys):
    assert cli.main(["eval", str(tmp_path), "--features", "inception"]) == 2
    error = capsys.readouterr().err.strip()
    expected = torch_home / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    assert len(error.splitlines()) == 1 and f"at {expected} " in error and "downloads nothing" in error


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
