"""`ganzoo export`: the TorchScript and ONNX generators give `ganzoo sample`'s images at the same seed;
safetensors weights load back into the registered generator."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from conftest import QUICK, RECIPE, ROOT
from ganzoo import cli
from ganzoo.output.images import to_uint8
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, registry

N, SEED = 12, 3
CGAN = [*QUICK, "train.epochs=1", "train.batch_size=32", "dataset.params.limit=64", "generator.params.base_channels=8",
        "discriminator.params.base_channels=8", "train.device=cpu", "train.ema_decay=0.9"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, mnist_root):
    """A tiny unconditional run (MLP) and a tiny conditional one (DCGAN, batch norm, EMA)."""
    folder = tmp_path_factory.mktemp("export")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        assert cli.main(["run", str(RECIPE), *TINY, "train.epochs=1", "--quiet", "--out", str(folder / "mlp")]) == 0
        assert cli.main(["run", str(ROOT / "recipes" / "cgan_mnist.yaml"), *CGAN, "--quiet",
                         "--out", str(folder / "cgan")]) == 0
    return {"mlp": folder / "mlp", "cgan": folder / "cgan"}


def sampled(run_dir, tmp_path, label=None) -> np.ndarray:
    """What `ganzoo sample -n N --seed SEED [--label L]` writes, (N, 28, 28) uint8."""
    out = tmp_path / "sampled.npz"
    extra = ["--label", str(label)] if label is not None else []
    assert cli.main(["sample", str(run_dir), "-n", str(N), "--seed", str(SEED), *extra, "--out", str(out)]) == 0
    return np.load(out)["images"]


def inputs(latent_dim: int, label=None):
    """The latents `ganzoo sample --seed SEED` draws, as a user of the exported file would draw them."""
    z = torch.randn(N, latent_dim, generator=torch.Generator().manual_seed(SEED))
    return (z,) if label is None else (z, torch.full((N,), label, dtype=torch.long))


def export(run_dir, tmp_path, fmt, suffix):
    out = tmp_path / f"generator{suffix}"
    assert cli.main(["export", str(run_dir), "--format", fmt, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("kind, label, latent_dim", [("mlp", None, 16), ("cgan", 7, 64)])
def test_torchscript_gives_ganzoo_samples_images(runs, tmp_path, kind, label, latent_dim):
    module = torch.jit.load(str(export(runs[kind], tmp_path, "torchscript", ".pt")))
    with torch.no_grad():
        images = module(*inputs(latent_dim, label))
    assert images.shape == (N, 1, 28, 28)
    assert np.array_equal(to_uint8(images)[:, 0].numpy(), sampled(runs[kind], tmp_path, label))
    with torch.no_grad():  # any batch size, not only the traced one
        assert module(*[x[:5] for x in inputs(latent_dim, label)]).shape == (5, 1, 28, 28)


@pytest.mark.parametrize("kind, label, latent_dim", [("mlp", None, 16), ("cgan", 7, 64)])
def test_onnx_run_with_onnxruntime_gives_ganzoo_samples_images(runs, tmp_path, kind, label, latent_dim):
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(export(runs[kind], tmp_path, "onnx", ".onnx")),
                                   providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == (["z"] if label is None else ["z", "labels"])
    (images,) = session.run(None, {name: x.numpy() for name, x in zip(names, inputs(latent_dim, label))})
    want = sampled(runs[kind], tmp_path, label).astype(int)
    got = to_uint8(torch.from_numpy(images))[:, 0].numpy().astype(int)
    # float kernels differ from torch's by ~1e-6: a value on a rounding edge may move one grey level
    assert np.abs(got - want).max() <= 1 and (got != want).mean() < 0.001


def test_safetensors_weights_load_back_into_the_registered_generator(runs, tmp_path):
    pytest.importorskip("safetensors")
    import ganzoo
    from ganzoo.output.export import load_safetensors

    out = export(runs["cgan"], tmp_path, "safetensors", ".safetensors")
    generator = load_safetensors(out, registry())
    original = ganzoo.load(runs["cgan"], registry=registry()).generator  # EMA weights, as exported
    assert type(generator) is type(original)
    assert generator.state_dict().keys() == original.state_dict().keys()
    for key, value in original.state_dict().items():
        assert torch.equal(generator.state_dict()[key], value), key
    with torch.no_grad():
        assert np.array_equal(to_uint8(generator(*inputs(64, 7)))[:, 0].numpy(), sampled(runs["cgan"], tmp_path, 7))


def test_the_format_comes_from_the_suffix_and_mistakes_are_one_line(runs, tmp_path, capsys, monkeypatch):
    assert cli.main(["export", str(runs["mlp"]), "--out", str(tmp_path / "g.pt")]) == 0
    assert torch.jit.load(str(tmp_path / "g.pt")) is not None
    capsys.readouterr()
    assert cli.main(["export", str(runs["mlp"]), "--out", str(tmp_path / "g.bin")]) == 2
    assert "give --format torchscript|onnx|safetensors" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert cli.main(["export", str(runs["mlp"]), "--format", "onnx", "--out", str(tmp_path / "g.onnx")]) == 2
    assert capsys.readouterr().err.strip() == ("ganzoo: error: --format onnx needs the onnx package, which is not "
                                               "installed: pip install 'ganzoo[export]'")
    assert not (tmp_path / "g.onnx").exists()
    assert cli.main(["export", str(runs["mlp"]), "--direction", "a2b", "--out", str(tmp_path / "d.pt")]) == 2
    assert "--direction is for translation runs" in capsys.readouterr().err
    assert not (tmp_path / "d.pt").exists()
