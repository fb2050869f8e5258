"""--device auto|cpu|cuda[:N]: CUDA when present, CPU otherwise."""

from __future__ import annotations

import torch

from genlab.errors import ConfigError


def resolve_device(name: str | torch.device) -> torch.device:
    """The torch.device for --device NAME ('auto': CUDA when present); a torch.device passes through."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device '{name}' (auto, cpu, cuda, cuda:N)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device '{name}' requested but CUDA is not available (use --device cpu or auto)")
    if dev.type not in ("cpu", "cuda"):
        raise ConfigError(f"unsupported device '{name}' (auto, cpu, cuda, cuda:N)")
    return dev
