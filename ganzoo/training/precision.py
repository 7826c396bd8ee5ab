"""``train.precision``: the number format of a run's steps, chosen once by the trainer.

- ``fp32``: float32 throughout (the default);
- ``bf16``: the step's forward passes under bfloat16 autocast, backward passes outside it;
- ``fp16``: float16 autocast with a gradient scaler: ``step.update`` scales the loss before the
  backward pass, unscales the gradients before any check or optimiser step, skips the update
  when they overflowed and lowers the scale (torch's ``GradScaler``); its state is checkpointed.
  Algorithms write nothing for it;
- ``auto``: bf16 where it pays and the hardware does it natively, else fp32. On the CPU that is
  a model with convolutions on a CPU with bfloat16 instructions (AMX-BF16 or AVX512-BF16, read
  from /proc/cpuinfo at run time): there oneDNN runs the convolutions in bf16 about 1.7x faster
  (docs/performance.md); small MLPs lose more to the casts than they gain. On CUDA, ``auto`` is
  fp32 until ``benchmarks/gpu_check.py`` has measured the other formats on a GPU.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterable, Optional

import torch

PRECISIONS = ("fp32", "bf16", "fp16", "auto")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set:
    """The instruction-set flags of this machine's first CPU (empty where /proc/cpuinfo is not)."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bf16_cpu(flags: Optional[set] = None) -> bool:
    """Whether this CPU computes bfloat16 natively (AMX-BF16 or AVX512-BF16)."""
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in _BF16_FLAGS)


def has_convolutions(models: Iterable[torch.nn.Module]) -> bool:
    conv = (torch.nn.modules.conv._ConvNd,)
    return any(isinstance(layer, conv) for model in models for layer in model.modules())


def resolve(setting: str, device: torch.device, models: Iterable[torch.nn.Module],
            flags: Optional[set] = None) -> tuple[str, str]:
    """The precision a run takes for ``train.precision = setting``, and why (for ``auto``)."""
    if setting != "auto":
        return setting, f"train.precision is {setting}"
    if device.type == "cpu":
        if not has_convolutions(models):
            return "fp32", "auto: fp32, as the models have no convolutions for bf16 to speed up"
        if not native_bf16_cpu(flags):
            return "fp32", "auto: fp32, as this CPU has no bfloat16 instructions (amx_bf16, avx512_bf16)"
        return "bf16", "auto: bf16, as this CPU computes bfloat16 natively and the models convolve"
    return "fp32", f"auto: fp32 on {device.type} (the other formats are not yet measured there)"


class Precision:
    """One run's number format: its autocast context and, for fp16, its gradient scaler."""

    def __init__(self, name: str, device: torch.device):
        self.name = name
        self.device = device
        self.dtype = _DTYPES.get(name)  # None: float32, no autocast
        self.scaler = torch.amp.GradScaler(device.type) if name == "fp16" else None

    @property
    def autocast(self) -> bool:
        return self.dtype is not None

    def context(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def state_dict(self) -> dict:
        return {"name": self.name, **({"scaler": self.scaler.state_dict()} if self.scaler is not None else {})}

    def load_state_dict(self, state: dict) -> None:
        """Resume the scaler where it was; a checkpoint of another precision leaves the scale at its start."""
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
