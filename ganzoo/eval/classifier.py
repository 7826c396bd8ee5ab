"""ganzoo's own MNIST classifier: the feature space of ``ganzoo eval``'s metrics.

Inception-based metrics need weights downloaded at run time and mean little on
28x28 digits. ganzoo trains this small CNN itself (``ganzoo train-classifier``)
and ships its weights in the package, in float16, pinned by a SHA-256 that is
checked at every load; the file is read with ``weights_only=True``.
"""

from __future__ import annotations

import copy
import hashlib
import io
import time
from pathlib import Path
from typing import Callable, Optional

import torch
from torch import nn

from ganzoo.data import unit_range
from ganzoo.errors import GanzooError, first_line
from ganzoo.output.files import write_atomic
from ganzoo.metrics import Features
from ganzoo.model_calls import eval_mode

SHIPPED_WEIGHTS = Path(__file__).parents[1] / "assets" / "mnist_classifier.pt"
#: SHA-256 of the shipped weights; `ganzoo train-classifier` prints the hash of a new file.
SHIPPED_SHA256 = "dd64ecca2730511b8120c8fdcde79c85afd1ff88b7061d0098693d71f6fc5009"
#: dataset -> (shipped weights, their SHA-256, the test accuracy below which `train-classifier` warns):
#: the classifiers ganzoo ships, one architecture trained the same way on each dataset
SHIPPED = {"mnist": (SHIPPED_WEIGHTS, SHIPPED_SHA256, 0.99),
           "fashion-mnist": (SHIPPED_WEIGHTS.with_name("fashion_classifier.pt"),
                             "4a9de22bc1408011035aa28ec58ace9795e30b60e234f1a2df577282300c4ed8", 0.90)}
FORMAT = "ganzoo-mnist-classifier"
VERSION = 1
FEATURE_DIM = 128
NUM_CLASSES = 10


class MNISTClassifier(nn.Module):
    """Three conv blocks and a 128-unit layer whose activations are the metric features.

    Input: uint8-valued images scaled to [-1, 1], shape (N, 1, 28, 28).
    """

    def __init__(self):
        super().__init__()

        def block(cin: int, cout: int, kernel: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True), nn.MaxPool2d(2)]

        self.body = nn.Sequential(
            *block(1, 16, 5),   # 28 -> 14
            *block(16, 32, 5),  # 14 -> 7
            *block(32, 64, 3),  # 7 -> 3
            nn.Flatten(),
            nn.Linear(64 * 3 * 3, FEATURE_DIM, bias=False),
            nn.BatchNorm1d(FEATURE_DIM),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(features, logits)``: the 128-d activations and the class logits."""
        features = self.body(x)
        return features, self.head(features)


def to_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, 1, 28, 28) -> the classifier's float input in [-1, 1]."""
    return unit_range(images)


@torch.no_grad()
def embed_images(model: MNISTClassifier, images: torch.Tensor, batch_size: int = 1000) -> Features:
    """Features and class probabilities of uint8 images (N, 1, 28, 28)."""
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise GanzooError(f"the MNIST classifier takes 1x28x28 images; got {tuple(images.shape[1:])}")
    device = next(model.parameters()).device
    # channels-last convolutions and pooling: 2-2.5x faster on CPUs, the same features to float rounding (1e-6)
    model = copy.deepcopy(model).to(memory_format=torch.channels_last)
    features, probs = [], []
    for start in range(0, images.shape[0], batch_size):
        batch = to_input(images[start:start + batch_size].to(device)).contiguous(memory_format=torch.channels_last)
        f, logits = model.embed(batch)
        features.append(f.float().cpu())
        probs.append(torch.softmax(logits.float(), dim=1).cpu())
    return Features(torch.cat(features), torch.cat(probs))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_classifier(path: Optional[str | Path] = None, device: str | torch.device = "cpu",
                    dataset: str = "mnist") -> tuple[MNISTClassifier, str]:
    """The classifier in eval mode and the SHA-256 of its file.

    Without ``path``, the weights shipped in the package for ``dataset``, which must match
    their pinned SHA-256 (``SHIPPED``). A ``path`` of the user's own is used as it is (its hash
    goes into the evaluation report).
    """
    shipped = path is None
    shipped_path, shipped_sha256, _ = SHIPPED[dataset]
    path = Path(shipped_path if shipped else path)
    try:
        data = path.read_bytes()
    except OSError as error:
        if shipped:
            raise GanzooError(f"ganzoo's classifier weights are missing ({path}: {error.strerror}); "
                              "reinstall ganzoo, or train them again with `ganzoo train-classifier`") from error
        raise GanzooError(f"cannot read classifier weights '{path}': {error.strerror or error}") from error
    digest = sha256_of(data)
    if shipped and digest != shipped_sha256:
        raise GanzooError(f"ganzoo's classifier weights {path} do not match their pinned SHA-256 "
                          f"(expected {shipped_sha256[:12]}..., found {digest[:12]}...); the file is damaged "
                          "or was replaced: reinstall ganzoo")
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many kinds for a bad file
        from ganzoo.training.checkpoint import load_problem

        raise GanzooError(f"cannot load classifier weights '{path}': {load_problem(error)}; give weights that "
                          "`ganzoo train-classifier` wrote") from error
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise GanzooError(f"'{path}' is not a ganzoo MNIST classifier (write one with `ganzoo train-classifier`)")
    model = MNISTClassifier()
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()})
    except (RuntimeError, KeyError) as error:
        raise GanzooError(f"classifier weights '{path}' do not fit ganzoo's classifier: "
                          f"{first_line(error, 200)}") from error
    return model.to(device).eval(), digest


def shipped_classifier(device: str | torch.device = "cpu") -> MNISTClassifier:
    """``ganzoo.mnist_classifier(device)``: the shipped MNIST classifier, in eval mode, for plugins that
    need a fixed feature space for digits (SRGAN's content loss). Its input is (N, 1, 28, 28) in
    [-1, 1]; ``model.embed(x)`` gives (features, logits), ``model.body`` its layers."""
    return load_classifier(None, device)[0]


def save_classifier(model: MNISTClassifier, path: str | Path, info: dict) -> str:
    """Write the weights in float16 (with ``info``: accuracy, epochs, seed) atomically; return the SHA-256."""
    state = {k: v.detach().cpu().half() if v.is_floating_point() else v.detach().cpu()
             for k, v in model.state_dict().items()}
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, "state_dict": state, **info}, buffer)
    data = buffer.getvalue()
    write_atomic(path, lambda handle: handle.write(data))
    return sha256_of(data)


@torch.no_grad()
def accuracy(model: MNISTClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    with eval_mode(model):
        probs = embed_images(model, images).probs
    return (probs.argmax(1) == labels).float().mean().item()


def train_classifier(train: tuple[torch.Tensor, torch.Tensor], epochs: int = 5, seed: int = 0,
                     device: str | torch.device = "cpu", batch_size: int = 128, lr: float = 3e-3,
                     report: Optional[Callable[[str], None]] = None) -> MNISTClassifier:
    """Train a fresh classifier on uint8 images and labels; Adam with a one-cycle schedule."""
    images, labels = train
    torch.manual_seed(seed)
    model = MNISTClassifier().to(device)
    model.train()
    steps_per_epoch = len(images) // batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    shuffle = torch.Generator().manual_seed(seed + 1)
    loss_fn = nn.CrossEntropyLoss()
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(images), generator=shuffle)
        total = torch.zeros((), device=device)
        for step in range(steps_per_epoch):
            index = order[step * batch_size:(step + 1) * batch_size]
            x, y = to_input(images[index]).to(device), labels[index].to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.detach()
        if report:
            report(f"epoch {epoch}/{epochs}: loss {total.item() / steps_per_epoch:.4f} "
                   f"({time.perf_counter() - started:.0f} s)")
    return model.eval()


def retrain(data_root: Optional[str], out: str | Path, epochs: int = 5, seed: int = 0, device: str = "auto",
            report: Callable[[str], None] = print, dataset: str = "mnist") -> tuple[float, str]:
    """``ganzoo train-classifier``: train on the dataset's training set, test on its held-out test set,
    write the weights. ``dataset``: ``mnist`` (read here, never downloaded) or another one ganzoo ships a
    classifier for, read through its registered loader."""
    from ganzoo.assembly import resolve_device

    if dataset not in SHIPPED:
        raise GanzooError(f"--dataset must be one of {', '.join(SHIPPED)}, got '{dataset}'")
    if dataset == "mnist":
        from ganzoo.eval.mnist_data import mnist_root, read_mnist

        root = mnist_root(data_root)
        why = "the classifier is trained on it"
        train = read_mnist(root, "train", why)
        test = read_mnist(root, "test", why)
    else:
        train, test = read_labelled_splits(dataset, data_root)
    target = resolve_device(device)
    started = time.perf_counter()
    model = train_classifier(train, epochs=epochs, seed=seed, device=target, report=report)
    test_accuracy = accuracy(model, *test)
    digest = save_classifier(model, out, {"test_accuracy": test_accuracy, "epochs": epochs, "seed": seed,
                                          "torch": str(torch.__version__)})
    report(f"test accuracy {100 * test_accuracy:.2f}% after {epochs} epochs ({time.perf_counter() - started:.0f} s)")
    report(f"wrote {out}, sha256 {digest}")
    shipped_path, _, floor = SHIPPED[dataset]
    report(f"to ship it: copy it to ganzoo/assets/{shipped_path.name} and set its SHA-256 in SHIPPED "
           "(ganzoo/eval/classifier.py)")
    if test_accuracy < floor:
        report(f"warning: below {100 * floor:.0f}% test accuracy; train longer (--epochs) before shipping it")
    return test_accuracy, digest


def read_labelled_splits(dataset: str, data_root: Optional[str]):
    """``((train images, labels), (test images, labels))`` of a registered dataset that holds its test set out."""
    import dataclasses

    from ganzoo.pluginhost.registry import load_registry

    component = load_registry().get("dataset", dataset)
    names = {f.name for f in dataclasses.fields(component.params)}
    params = component.params(**{key: value for key, value in (("root", data_root), ("download", False))
                                 if key in names and value is not None})
    data = component.factory(params)
    if data.held_out is None or data.labels is None or data.held_out.labels is None:
        raise GanzooError(f"dataset '{dataset}' holds no labelled test set out to measure the classifier on")
    return (data.images, data.labels), (data.held_out.images, data.held_out.labels)
