"""Inception-v3 features for `ganzoo eval --features inception`: FID, KID and the Inception Score
comparable with papers. When ``--features inception`` names it and its weights are not on disk, they
are downloaded (with a progress bar, checked against their SHA-256, written whole or not at all);
offline, the cached file is read; without either, a one-line error says where the file goes.

The network and its weights are torch-fidelity's (``FeatureExtractorInceptionV3``, the port of the
TensorFlow graph that FID papers use; torchmetrics' FID runs the same one). Its weights file is
looked for where torch-fidelity and torchmetrics keep it: torch.hub's checkpoint folder,
``$TORCH_HOME/hub/checkpoints`` (by default ``~/.cache/torch/hub/checkpoints``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from ganzoo.errors import GanzooError, first_line
from ganzoo.metrics import Features

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{WEIGHTS_FILE}"
#: SHA-256 of torch-fidelity's file (its name carries the first 8 digits, torch.hub's convention)
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
FEATURES, LOGITS = "2048", "logits_unbiased"  # the pool features of FID/KID, the logits of the Inception Score
BATCH = 64


def weights_path() -> Path:
    """Where torch.hub's ``load_state_dict_from_url`` (so torch-fidelity and torchmetrics) caches the weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def download_weights(url: str | None = None, path: Path | None = None, sha256: str | None = None,
                     progress: bool = True) -> Path:
    """Download the weights to ``path`` (torch.hub's cache by default) with a progress bar on stderr:
    through a temporary file beside it, renamed only when its SHA-256 is ``sha256`` (torch.hub's
    ``download_url_to_file``), so a failed or refused download leaves nothing behind."""
    from http.client import HTTPException
    from urllib.error import URLError

    url, sha256, path = url or WEIGHTS_URL, sha256 or WEIGHTS_SHA256, Path(path or weights_path())
    created = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(path), hash_prefix=sha256, progress=progress)
    except (URLError, OSError, HTTPException, RuntimeError, ValueError) as error:
        for folder in created:  # the folders made for it, deepest first, when still empty
            try:
                folder.rmdir()
            except OSError:
                break
        reason = getattr(error, "reason", None) or first_line(error, 200) or type(error).__name__
        if isinstance(error, RuntimeError) and "hash" in str(error):
            raise GanzooError(f"the Inception weights downloaded from {url} do not match their SHA-256 "
                              f"({sha256[:12]}...); nothing was kept: try again, or put torch-fidelity's "
                              f"{WEIGHTS_FILE} at {path}") from error
        raise GanzooError(f"cannot download the Inception weights from {url} ({reason}); offline, put "
                          f"{WEIGHTS_FILE} at {path} (torch.hub's cache, which torchmetrics and torch-fidelity "
                          "share; $TORCH_HOME moves it)") from error
    return path


def check_available() -> Path:
    """The weights file, or a one-line error saying where to put it (or which package is missing)."""
    path = weights_path()
    if not path.is_file():
        raise GanzooError(f"Inception's features need its weights on disk (`ganzoo eval --features inception` "
                          f"downloads them): "
                          f"put {WEIGHTS_FILE} (from {WEIGHTS_URL}) at {path} (torch.hub's cache, which "
                          f"torchmetrics and torch-fidelity share; $TORCH_HOME moves it)")
    try:
        import torch_fidelity  # noqa: F401
    except ImportError as error:
        raise GanzooError("--features inception needs torch-fidelity's Inception network: "
                          "pip install 'ganzoo[inception]'") from error
    return path


def load_inception(device: str | torch.device = "cpu") -> tuple[torch.nn.Module, str]:
    """The Inception network with the weights from disk, in eval mode, and the SHA-256 of its weights file."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    path = check_available()
    try:
        model = FeatureExtractorInceptionV3("inception-v3-compat", [FEATURES, LOGITS],
                                            feature_extractor_weights_path=str(path))
    except Exception as error:  # a damaged or foreign file: torch.load's or load_state_dict's error
        raise GanzooError(f"cannot load the Inception weights {path} ({type(error).__name__}: "
                          f"{first_line(error, 200)}); put torch-fidelity's {WEIGHTS_FILE} there "
                          f"(from {WEIGHTS_URL})") from error
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return model.to(device), digest


@torch.no_grad()
def embed_inception(model: torch.nn.Module, images: torch.Tensor) -> Features:
    """Inception's 2048-d pool features and its class probabilities of uint8 images (N, 1 or 3, H, W)."""
    device = next(model.parameters()).device
    features, probs = [], []
    for start in range(0, images.shape[0], BATCH):
        batch = images[start:start + BATCH].to(device)
        if batch.shape[1] == 1:  # grey: the same in the three channels
            batch = batch.expand(-1, 3, -1, -1)
        pooled, logits = model(batch)  # resized to 299x299 inside, as TensorFlow 1 did
        features.append(pooled.float().cpu())
        probs.append(torch.softmax(logits.double(), dim=1).float().cpu())
    return Features(torch.cat(features), torch.cat(probs))
