"""Discrete levels, uniform dequantization and bits/dim: the shared footing of every likelihood.

An example with D values on `levels` discrete levels sits on the grid x = 2k/(levels-1) - 1.
Uniform dequantization (Theis et al. 2016) maps k to y = 2(k + u)/levels - 1, u ~ U[0, 1)^D, so
each discrete value owns a cell of width 2/levels in [-1, 1]. For any density p on y:
    log P(k) >= E_u[log p(y)] + D log(2/levels),
so a continuous model's bound on log p(y) becomes a bound on the discrete data.
"""

from __future__ import annotations

import math

import torch


def to_levels(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Integer level k in {0..levels-1} of grid data x in [-1, 1]."""
    return torch.round((x.clamp(-1, 1) + 1) * (levels - 1) / 2).long()


def from_levels(k: torch.Tensor, levels: int) -> torch.Tensor:
    """Grid value 2k/(levels-1) - 1 of integer levels k."""
    return 2 * k.float() / (levels - 1) - 1


def uniform_dequantize(x: torch.Tensor, levels: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """y = 2(k + u)/levels - 1 with u ~ U[0, 1): a continuous point inside k's cell."""
    k = to_levels(x, levels).to(x.dtype)
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return 2 * (k + u) / levels - 1


def log_cell_volume(dim: int, levels: int) -> float:
    """log of the volume, in [-1, 1]^D, of one dequantization cell: D log(2/levels)."""
    return dim * math.log(2.0 / levels)


def bits_per_dim(nll_nats: torch.Tensor, dim: int) -> torch.Tensor:
    """Negative log-likelihood in nats per example -> bits per dimension."""
    return nll_nats / (dim * math.log(2.0))
