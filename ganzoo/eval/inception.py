"""Inception-v3 features for `ganzoo eval --features inception`: FID, KID and the Inception Score
comparable with papers, where the user has the weights on disk. Nothing is downloaded.

The network and its weights are torch-fidelity's (``FeatureExtractorInceptionV3``, the port of the
TensorFlow graph that FID papers use; torchmetrics' FID runs the same one). Its weights file is
looked for where torch-fidelity and torchmetrics keep it: torch.hub's checkpoint folder,
``$TORCH_HOME/hub/checkpoints`` (by default ``~/.cache/torch/hub/checkpoints``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from ganzoo.errors import GanzooError
from ganzoo.metrics import Features

WEIGHTS_FILE = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{WEIGHTS_FILE}"
FEATURES, LOGITS = "2048", "logits_unbiased"  # the pool features of FID/KID, the logits of the Inception Score
BATCH = 64


def weights_path() -> Path:
    """Where torch.hub's ``load_state_dict_from_url`` (so torch-fidelity and torchmetrics) caches the weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def check_available() -> Path:
    """The weights file, or a one-line error saying where to put it (or which package is missing)."""
    path = weights_path()
    if not path.is_file():
        raise GanzooError(f"Inception's features need its weights on disk and ganzoo downloads nothing: "
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
                          f"{str(error).splitlines()[0][:200]}); put torch-fidelity's {WEIGHTS_FILE} there "
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
