"""Features of reference images kept on disk, so that ``ganzoo eval`` embeds a reference set once.

Scoring embeds the dataset's held-out reference set (MNIST's 10,000 test images) and a training sample of the
same size every time, though neither changes between evaluations. Their features are stored in the cache
folder (``$GANZOO_CACHE``, else ``$XDG_CACHE_HOME/ganzoo``, else ``~/.cache/ganzoo``; under ``features/``),
one file per set, named by a SHA-256 over the extractor's name, the SHA-256 of its weights and the images' own
bytes: other weights (``--classifier FILE``) or other images are another entry, never a stale one. Files are
tensors only (``torch.save``, read back with ``weights_only=True``), written to a temporary file and renamed;
one that cannot be read, or whose key, format or shape is not what was asked for, or whose tensors no longer
match the SHA-256 stored beside them, is computed again and replaced. Deleting the folder is always safe.
``GANZOO_CACHE=off`` turns the cache off; an unwritable folder only means the features are computed every
time. The real-vs-real scores, which depend on the two feature sets and the metrics alone, are kept beside
them as small JSON files (``scores_cached``); what a metric derives from a reference set alone (its k-NN
distances, KID's reference kernel sums) under ``derived/`` (``cached_tensors``, public as
``ganzoo.cached_tensors``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from ganzoo.metrics import FeatureExtractor, Features

CACHE_ENV = "GANZOO_CACHE"
#: bumped when what is stored, or how the built-in extractors compute it, changes
FORMAT = 1


def cache_folder() -> Optional[Path]:
    """Where feature files go (``None``: ``GANZOO_CACHE=off``)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return None if chosen.lower() in ("off", "0", "none") else Path(chosen).expanduser() / "features"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ganzoo" / "features"


def images_digest(images: torch.Tensor) -> str:
    """SHA-256 of a tensor's dtype, shape and values."""
    digest = hashlib.sha256(f"{images.dtype}{tuple(images.shape)}".encode())
    digest.update(images.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def cache_key(extractor_name: str, weights_sha256: str, images: torch.Tensor) -> str:
    """The entry's name: a SHA-256 over the format, the extractor, its weights' SHA-256 and the images."""
    text = f"ganzoo-features/{FORMAT}/{extractor_name}/{weights_sha256}/{images_digest(images)}"
    return hashlib.sha256(text.encode()).hexdigest()


def tensors_digest(features: Optional[torch.Tensor], probs: Optional[torch.Tensor]) -> str:
    """SHA-256 of the stored tensors: a file changed after it was written is not trusted."""
    digest = hashlib.sha256()
    for tensor in (features, probs):
        digest.update(b"none" if tensor is None else images_digest(tensor).encode())
    return digest.hexdigest()


def read_entry(path: Path, key: str, rows: int) -> Optional[Features]:
    """The features stored at ``path`` for ``key`` (``rows`` images), or ``None`` when absent or not trustworthy."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a truncated or garbled file: computed again
        return None
    if not isinstance(payload, dict) or payload.get("key") != key or payload.get("format") != FORMAT:
        return None
    features, probs = payload.get("features"), payload.get("probs")
    if not (isinstance(features, torch.Tensor) and features.dim() == 2 and features.shape[0] == rows):
        return None
    if probs is not None and not (isinstance(probs, torch.Tensor) and probs.dim() == 2 and probs.shape[0] == rows):
        return None
    if payload.get("digest") != tensors_digest(features, probs):
        return None
    return Features(features, probs)


def write_entry(path: Path, key: str, features: Features) -> bool:
    """Store ``features`` at ``path`` atomically; ``False`` when the folder cannot be written (no harm done)."""
    from ganzoo.output.files import atomic_writer

    values = features.features.detach().cpu().contiguous()
    probs = None if features.probs is None else features.probs.detach().cpu().contiguous()
    payload = {"format": FORMAT, "key": key, "features": values, "probs": probs,
               "digest": tensors_digest(values, probs)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as handle:
            torch.save(payload, handle)
    except Exception:  # noqa: BLE001 - read-only or full disk, say: the cache is an optimisation
        return False
    return True


def embed_cached(extractor: FeatureExtractor, extractor_name: str, weights_sha256: str,
                 images: torch.Tensor) -> Features:
    """``extractor.embed(images)``, read from the cache folder when these weights embedded these images before.

    An extractor without a weights hash (the points one) is not cached: nothing says its features stay the same."""
    folder = cache_folder()
    if folder is None or not weights_sha256:
        return extractor.embed(images)
    key = cache_key(extractor_name, weights_sha256, images)
    path = folder / f"{key}.pt"
    stored = read_entry(path, key, images.shape[0])
    if stored is not None:
        return stored
    features = extractor.embed(images)
    write_entry(path, key, features)
    return features


def code_digest(obj) -> str:
    """SHA-256 of the source files of the package that defines ``obj``'s class, or ``obj`` itself when it is a
    function or a class (a metric's maths may live in a module beside it): scores computed by other code are
    never taken for these."""
    import sys
    import types

    owner = obj if isinstance(obj, (types.FunctionType, types.MethodType, type)) else type(obj)
    module = sys.modules.get(owner.__module__)
    package = sys.modules.get(owner.__module__.split(".")[0])
    where = getattr(package, "__path__", None)
    files = (sorted(p for folder in where for p in Path(folder).rglob("*.py"))[:500] if where
             else [Path(getattr(module, "__file__", "") or "")])
    digest = hashlib.sha256(owner.__qualname__.encode())
    for path in files:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


def scores_key(extractor_name: str, weights_sha256: str, reference: Features, sample: Features,
               metrics: list, also: tuple = ()) -> str:
    """The name of a real-vs-real entry: the features on both sides, the tensors ``also`` (pictures the
    metrics read beside the features; None where absent) and each metric's name, params and code."""
    parts = [f"ganzoo-scores/{FORMAT}/{extractor_name}/{weights_sha256}",
             tensors_digest(reference.features, reference.probs), tensors_digest(sample.features, sample.probs)]
    parts += [tensors_digest(item, None) if item is None or isinstance(item, torch.Tensor) else repr(item)
              for item in also]
    parts += [f"{name}:{getattr(metric, '__dict__', {})!r}:{code_digest(metric)}" for name, metric in metrics]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def scores_cached(extractor_name: str, weights_sha256: str, reference: Features, sample: Features, metrics: list,
                  compute, also: tuple = ()):
    """``compute()`` (the real-vs-real scores, a JSON-able dict), read from the cache folder when the same
    features (and tensors ``also``) were scored by the same metrics, params and code before. Real vs real
    depends on the reference set, the training sample and the metrics alone, never on the run; so does a
    translation's baseline (its inputs scored as outputs)."""
    import json

    folder = cache_folder()
    if folder is None or not weights_sha256:
        return compute()
    key = scores_key(extractor_name, weights_sha256, reference, sample, metrics, also)
    path = folder / f"{key}.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("scores"), dict):
            return stored["scores"]
    except (OSError, ValueError):
        pass  # absent, or not JSON: computed again
    scores = compute()
    try:
        from ganzoo.output.files import write_text_atomic

        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps({"key": key, "scores": scores}))
    except Exception:  # noqa: BLE001 - an unwritable cache only costs time
        pass
    return scores


def cached_tensors(name: str, inputs: Sequence[torch.Tensor], compute: Callable[[], Dict[str, torch.Tensor]],
                   params: tuple = (), code: Any = None) -> Dict[str, torch.Tensor]:
    """``compute()``, a dict of tensors that depends on ``inputs`` and ``params`` alone, read from the cache folder
    (``derived/``) when the same code computed it from the same tensors before.

    The entry is named by a SHA-256 over ``name``, ``repr(params)``, each input's dtype, shape and bytes, and the
    source files of the package that defines ``code`` (default: ``compute``'s module; a change to the maths is
    another entry, never a stale one). For what a metric derives from the reference set (the same tensors at
    every evaluation), not from generated images (new every time: their entries would only fill the folder). The
    values come back on the CPU; an entry that cannot be read or whose tensors no longer match their stored
    SHA-256 is computed again and replaced; ``GANZOO_CACHE=off`` or an unwritable folder computes every time."""
    parts = [f"ganzoo-derived/{FORMAT}/{name}", repr(params), code_digest(code if code is not None else compute)]
    return stored_tensors("derived", [*parts, *(images_digest(tensor) for tensor in inputs)], compute)


def stored_tensors(folder_name: str, key_parts: Sequence[str], compute: Callable[[], Dict[str, torch.Tensor]]
                   ) -> Dict[str, torch.Tensor]:
    """``compute()``, kept in the cache folder's ``folder_name/`` under a SHA-256 of ``key_parts`` (which must
    name everything the tensors depend on), with a digest of their values; see ``cached_tensors``."""
    folder = cache_folder()
    if folder is None:
        return compute()
    key = hashlib.sha256("\n".join(key_parts).encode()).hexdigest()
    path = folder.parent / folder_name / f"{key}.pt"
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        values = payload["tensors"]
        if (payload.get("key") == key and isinstance(values, dict)
                and all(isinstance(v, torch.Tensor) for v in values.values())
                and payload.get("digest") == _named_digest(values)):
            return values
    except Exception:  # noqa: BLE001 - absent, truncated or garbled: computed again
        pass
    values = {k: v.detach().cpu().contiguous() for k, v in compute().items()}
    try:
        from ganzoo.output.files import atomic_writer

        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path) as handle:
            torch.save({"format": FORMAT, "key": key, "tensors": values, "digest": _named_digest(values)}, handle)
    except Exception:  # noqa: BLE001 - read-only or full disk: the cache is an optimisation
        pass
    return values


def _named_digest(values: Dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for name in sorted(values):
        digest.update(f"{name}:{images_digest(values[name])}".encode())
    return digest.hexdigest()
