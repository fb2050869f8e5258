"""A plain MLP, the building block of the 2-D networks."""

from __future__ import annotations

from torch import nn


def mlp(in_dim: int, hidden: int, out_dim: int, depth: int = 3, act: type[nn.Module] = nn.SiLU) -> nn.Sequential:
    """in_dim -> (hidden, act) x depth -> out_dim."""
    layers: list[nn.Module] = []
    d = in_dim
    for _ in range(depth):
        layers += [nn.Linear(d, hidden), act()]
        d = hidden
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)
