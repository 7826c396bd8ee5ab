"""CycleGAN's image pool (Shrivastava et al. 2017; Zhu et al. 2017, section 4): a history of
generated pictures that the discriminator learns from, so it does not chase the generator's
latest output alone.

Until ``size`` pictures are stored, each new one is stored and passed through. After that each
new picture is, with probability 1/2, passed through; otherwise a stored picture, drawn
uniformly, is passed in its place and the new one takes its slot. ``size: 0`` turns the pool
off. The pictures and the random generator are the pool's state (``state_dict``), so a resumed
run draws what an uninterrupted one would.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import torch


class ImagePool:
    def __init__(self, size: int, seed: int):
        if size < 0:
            raise ValueError(f"the pool size must be at least 0, got {size}")
        self.size = size
        self.rng = torch.Generator().manual_seed(seed)
        self.images: Optional[torch.Tensor] = None  # (size, C, H, W) once the first batch came
        self.count = 0  # slots filled

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """The pictures the discriminator sees in place of ``images`` (a batch of new fakes, no gradient)."""
        images = images.detach()
        if self.size == 0:
            return images
        if self.images is None:
            self.images = torch.empty(self.size, *images.shape[1:], dtype=torch.float32, device=images.device)
        elif self.images.device != images.device:
            self.images = self.images.to(images.device)
        shown = images.float().clone()
        # one draw per picture, in order, on the CPU: the same numbers on any device
        coins = torch.rand(len(images), generator=self.rng).tolist()
        slots = torch.randint(self.size, (len(images),), generator=self.rng).tolist()
        fill = min(len(images), self.size - self.count)  # the first pictures fill the empty slots
        self.images[self.count:self.count + fill] = shown[:fill]
        self.count += fill
        # The others swap with a stored picture on heads, as if one at a time: a picture swapped into a
        # slot earlier in this batch is what a later swap on that slot takes out. Worked out on the
        # indices, then done in two tensor operations (no per-picture copies on the device).
        swapped, sources, latest = [], [], {}
        for i in range(fill, len(images)):
            if coins[i] < 0.5:
                swapped.append(i)
                sources.append(latest.get(slots[i], slots[i]))  # a row of ``before``
                latest[slots[i]] = self.size + i  # the new picture, a row of ``before`` too
        if swapped:
            before = torch.cat([self.images, shown])
            device = shown.device
            shown[torch.tensor(swapped, device=device)] = before[torch.tensor(sources, device=device)]
            self.images[torch.tensor(list(latest), device=device)] = before[torch.tensor(list(latest.values()),
                                                                                          device=device)]
        return shown.to(images.dtype)

    def state_dict(self) -> Dict[str, Any]:
        stored = None if self.images is None else self.images[:self.count].detach().cpu().clone()
        return {"size": self.size, "images": stored, "rng": self.rng.get_state()}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if state["size"] != self.size:
            raise ValueError(f"the checkpoint's image pool holds {state['size']} pictures, this run's {self.size}")
        self.rng.set_state(state["rng"])
        stored = state["images"]
        if stored is None:
            self.images, self.count = None, 0
            return
        self.images = torch.empty(self.size, *stored.shape[1:], dtype=torch.float32)
        self.images[:len(stored)] = stored
        self.count = len(stored)
