"""Sinusoidal timestep embedding (Vaswani et al. 2017, as used by Ho et al. 2020) and class-label embeddings."""

from __future__ import annotations

import math

import torch


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """[B] (float or int) timesteps -> [B, dim]: cos/sin of t * exp(-log(max_period) * i / half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


def fourier_features(x: torch.Tensor, octaves: int) -> torch.Tensor:
    """[B, D] -> [B, D * (1 + 2 * octaves)]: x with sin and cos of 2^k pi x for k < octaves (the positional
    encoding of NeRF, Mildenhall et al. 2020, eq. 4), so an MLP resolves detail down to 2^-octaves of the range."""
    if octaves <= 0:
        return x
    freqs = math.pi * 2.0 ** torch.arange(octaves, device=x.device, dtype=x.dtype)  # [L]
    args = (x[:, :, None] * freqs).flatten(1)  # [B, D * L]
    return torch.cat([x, torch.sin(args), torch.cos(args)], dim=1)


def class_vector(y: torch.Tensor, num_classes: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Labels -> [B, num_classes] rows: one-hot for int labels [B]; float rows [B, K] (e.g. a lerp between two
    classes) pass through."""
    if y.is_floating_point():
        return y.to(dtype)
    return torch.nn.functional.one_hot(y.long(), num_classes).to(dtype)


class LabelEmbedding(torch.nn.Module):
    """Class label [B] -> [B, dim]; index num_classes is the null class when `null` (Ho & Salimans 2022: one
    network, conditional and unconditional). Float rows [B, K(+1)] give the matching mix of embeddings."""

    def __init__(self, num_classes: int, dim: int, null: bool = False):
        super().__init__()
        self.num_classes = num_classes
        self.table = torch.nn.Embedding(num_classes + int(null), dim)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if y.is_floating_point():
            return y.to(self.table.weight.dtype) @ self.table.weight[: y.shape[1]]
        return self.table(y.long())
