"""Timestep grids for few-step sampling (the spacings of Lin et al. 2024, Table 2, as in diffusers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from genlab.errors import ConfigError
from genlab.rng import randn_like

__all__ = ["SPACINGS", "Callback", "alpha_bar_pairs", "randn_like", "timestep_grid"]

SPACINGS = ("leading", "trailing", "linspace")

Callback = Callable[[dict], None]


def timestep_grid(T: int, steps: int, spacing: str = "leading") -> list[int]:
    """`steps` decreasing timesteps in [0, T-1]; a sampler ends each grid with a final jump to alpha_bar = 1.

    leading: (T // steps) * k; trailing: round(T - k T/steps) - 1; linspace: round(linspace(0, T-1, steps)).
    """
    if not 1 <= steps <= T:
        raise ConfigError(f"sampling steps must be in [1, {T}], got {steps}")
    if spacing == "leading":
        ts = np.arange(steps) * (T // steps)
    elif spacing == "trailing":
        ts = np.round(np.arange(T, 0, -T / steps)).astype(np.int64)[::-1] - 1
    elif spacing == "linspace":
        ts = np.round(np.linspace(0, T - 1, steps)).astype(np.int64)
    else:
        raise ConfigError(f"unknown timestep spacing '{spacing}' (choose from {', '.join(SPACINGS)})")
    return [int(t) for t in ts[::-1]]


def alpha_bar_pairs(timesteps: Sequence[int], alpha_bar: torch.Tensor) -> list[tuple[int, float, float]]:
    """(t, alpha_bar_t, alpha_bar_prev) along a decreasing grid; the last step goes to alpha_bar = 1."""
    ts = [int(t) for t in timesteps]
    if any(b >= a for a, b in zip(ts, ts[1:], strict=False)):
        raise ConfigError("sampler timesteps must be strictly decreasing")
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64)
    out = []
    for i, t in enumerate(ts):
        prev = float(ab[ts[i + 1]]) if i + 1 < len(ts) else 1.0
        out.append((t, float(ab[t]), prev))
    return out
