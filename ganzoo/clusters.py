"""K-means cluster ids of images, as labels no one wrote: self-conditioning (Liu et al. 2020).

A conditional GAN trained on its data's k-means clusters needs no labels, yet, like a
class-conditional one, draws each sample from one cluster rather than halfway
between two: the unconditional model's blurred in-between digits mostly vanish.

The fit is the same every time for the same images and parameters, and a dataset with clusters
runs it at every load (each training run, each ``ganzoo eval``): about 1.5 s of MNIST's on a
2-core CPU. The centroids are kept in ganzoo's cache folder (``clusters/`` beside ``features/``,
see ``ganzoo.eval.feature_cache``), named by a SHA-256 over the images' bytes, the parameters and
this module's source, stored with a digest of their values and read back only when all of that
matches; ``GANZOO_CACHE=off`` turns it off, and an unwritable folder only costs the fit.
"""

import hashlib
from pathlib import Path
from typing import Optional

import torch

FIT_IMAGES = 10_000  # centroids are fitted on this many images (seeded pick), then every image is assigned
ITERATIONS = 20


class KMeans:
    """K-means on pixels (k-means++ start, seeded), fitted on up to FIT_IMAGES images, then used to label any images:
    ``KMeans.fit(train_images, 100).labels(images)``. A dataset labels its held-out images with the same
    centroids, so a cluster means the same on both sides (per-class scores compare like with like)."""

    def __init__(self, centroids: torch.Tensor):
        self.centroids = centroids

    @classmethod
    def fit(cls, images: torch.Tensor, clusters: int, seed: int = 0) -> "KMeans":
        """Centroids for ``clusters`` clusters of the images (N, ...) uint8, from the cache folder when these
        images were fitted with these parameters before."""
        if clusters < 2:
            raise ValueError(f"clusters must be at least 2, got {clusters}")
        if images.shape[0] < clusters:
            raise ValueError(f"clusters={clusters} needs at least {clusters} images, got {images.shape[0]}; "
                             "lower clusters")
        return cls(_cached_centroids(images, clusters, seed))

    @staticmethod
    def fit_centroids(images: torch.Tensor, clusters: int, seed: int = 0) -> torch.Tensor:
        """The k-means fit itself (``fit`` without the cache): (clusters, pixels) float centroids."""
        points = _points(images)
        rng = torch.Generator().manual_seed(seed)
        fit = points[torch.randperm(points.shape[0], generator=rng)[:FIT_IMAGES]]
        norms = _squared_norms(fit)  # once: k-means++ and every iteration measure the same points
        centroids = _kmeans_plus_plus(fit, clusters, rng, norms)
        for _ in range(ITERATIONS):
            assigned = _nearest(fit, centroids, norms)
            counts = torch.bincount(assigned, minlength=clusters).float()
            sums = torch.zeros_like(centroids).index_add_(0, assigned, fit)
            centroids = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], centroids)
        return centroids

    def labels(self, images: torch.Tensor) -> torch.Tensor:
        """The cluster id (N,) long of each image (N, ...) uint8: its nearest centroid."""
        return torch.cat([_nearest(chunk, self.centroids) for chunk in _points(images).split(10_000)])

    def relabel(self, data):
        """``data`` (a ``ganzoo.ImageData`` of tensor images) labelled by cluster in place of its classes, its
        held-out images by the same centroids: what a dataset's ``clusters`` param returns."""
        from dataclasses import replace

        clusters = len(self.centroids)
        held_out = data.held_out
        if held_out is not None:
            held_out = replace(held_out, labels=self.labels(held_out.images), num_classes=clusters)
        return replace(data, labels=self.labels(data.images), num_classes=clusters, held_out=held_out)


def _points(images: torch.Tensor) -> torch.Tensor:
    return images.reshape(images.shape[0], -1).float() / 255


def _kmeans_plus_plus(points: torch.Tensor, clusters: int, rng: torch.Generator,
                      norms: torch.Tensor) -> torch.Tensor:
    """Arthur & Vassilvitskii 2007: each next centroid drawn with probability ~ squared distance to the nearest."""
    chosen = [int(torch.randint(points.shape[0], (1,), generator=rng))]
    nearest = _squared_distances(points, points[chosen], norms).squeeze(1)
    for _ in range(clusters - 1):
        index = int(torch.multinomial(nearest.clamp(min=0) + 1e-12, 1, generator=rng))
        chosen.append(index)
        nearest = torch.minimum(nearest, _squared_distances(points, points[index:index + 1], norms).squeeze(1))
    return points[chosen].clone()


def _squared_norms(points: torch.Tensor) -> torch.Tensor:
    return (points * points).sum(1, keepdim=True)


def _squared_distances(points: torch.Tensor, centroids: torch.Tensor,
                       norms: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(N, K) squared distances; ``norms``: the points' ``_squared_norms``, when computed once for many calls."""
    norms = _squared_norms(points) if norms is None else norms
    return norms - 2 * points @ centroids.T + (centroids * centroids).sum(1)


def _nearest(points: torch.Tensor, centroids: torch.Tensor, norms: Optional[torch.Tensor] = None) -> torch.Tensor:
    return _squared_distances(points, centroids, norms).argmin(1)


def _cached_centroids(images: torch.Tensor, clusters: int, seed: int) -> torch.Tensor:
    from ganzoo.eval.feature_cache import images_digest, stored_tensors

    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    key = [f"ganzoo-kmeans/{clusters}/{seed}/{FIT_IMAGES}/{ITERATIONS}/{code}", images_digest(images)]
    fitted = stored_tensors("clusters", key, lambda: {"centroids": KMeans.fit_centroids(images, clusters, seed)})
    return fitted["centroids"]
