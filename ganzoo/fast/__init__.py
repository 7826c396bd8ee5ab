"""Speed paths that keep the maths: chosen once by the trainer, invisible to plugins.

- ``fused_gan``: ``ganzoo.GAN``'s step for MLP models on the CPU, without autograd's graph.
- ``bernoulli``: ``Tensor.bernoulli_`` (the fused step's dropout masks), the same numbers faster where
  this CPU's kernel allows it (checked once on a probe).
- ``memory``: glibc's malloc told to keep and reuse the large buffers torch frees (the ``ganzoo``
  executable's own process only), instead of faulting fresh pages in for each.
- ``collector``: Python's cycle collector run less often over the objects a command's start-up creates
  (the ``ganzoo`` executable's own process only).
- ``optimizer_update``: torch's fused Adam/AdamW kernel called without ``Optimizer.step``'s overhead.
- (``ganzoo.Tanh``, tanh through sigmoid on CPU float32, 3x faster than torch's kernel, is a public layer:
  ``ganzoo.layers``; the fused step computes it the same way.)

``train.step: auto | fused | autograd`` chooses; ``ganzoo run`` prints which step runs and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Optional, Tuple

from ganzoo.errors import GanzooError

# torch is imported by what calls into this package, not by the package itself: the executable's first step
# imports ganzoo.fast.memory, before anything needs torch
if TYPE_CHECKING:
    import torch


def choose_step(setting: str, algorithm: Any, models: Mapping[str, torch.nn.Module], image_shape,
                device: torch.device, distributed: bool, precision: str = "fp32") -> Tuple[Optional[Any], str]:
    """A faster implementation of ``algorithm.train_step`` (an object with ``train_step`` and
    ``gather``) and the reason it was or was not chosen. ``setting`` is ``train.step``:
    ``fused`` makes a run that cannot have it fail instead."""
    if setting == "autograd":
        return None, "train.step is autograd"
    found, reason = _fused(algorithm, models, image_shape, device, distributed, precision)
    if found is None and setting == "fused":
        raise GanzooError(f"train.step=fused, but {reason}; use train.step=auto or autograd")
    return found, reason


def _fused(algorithm, models, image_shape, device, distributed, precision):
    from ganzoo.gan import GAN

    if type(algorithm) is not GAN:
        return None, f"fused steps serve the gan algorithm alone, not {type(algorithm).__name__}"
    if device.type != "cpu":
        return None, f"fused steps run on the CPU only, not on {device.type}"
    if distributed:
        return None, "fused steps do not run under --nproc"
    if precision != "fp32":
        return None, f"fused steps compute in float32, not under train.precision={precision}"
    generator, discriminator = models["generator"], models["discriminator"]
    from ganzoo.model_calls import is_conditional

    if is_conditional(generator) or is_conditional(discriminator):
        return None, "the models take labels, which fused steps do not"
    if getattr(generator, "sample_latent", None) is not None:
        return None, "the generator draws its own latent, which fused steps do not"
    from ganzoo.fast import fused_gan

    found = fused_gan.plan(algorithm, generator, discriminator, image_shape, device)
    return (None, found) if isinstance(found, str) else (found, "fused steps (train.step in docs/recipes.md)")
