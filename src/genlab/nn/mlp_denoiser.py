"""A residual MLP for 2-D points: (x [B, D], t [B]) -> [B, out_dim], the diffusion net of toy data; with
`num_classes`, (x, t, y [B]) and a label embedding added to the time embedding (y = num_classes: the null class)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genlab.nn.embeddings import LabelEmbedding, fourier_features, timestep_embedding


class _Block(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.fc1 = nn.Linear(hidden, hidden)
        self.emb = nn.Linear(hidden, hidden)
        self.fc2 = nn.Linear(hidden, hidden)

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return h + self.fc2(F.silu(self.fc1(self.norm(h)) + self.emb(emb)))


class MLPDenoiser(nn.Module):
    """Input projection (of x, or of its Fourier features when `octaves` > 0), `depth` residual blocks each told
    the time embedding, output projection."""

    def __init__(
        self, in_dim: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 4, emb_dim: int = 64,
        octaves: int = 0, num_classes: int | None = None,
    ):
        super().__init__()
        self.emb_dim, self.octaves = emb_dim, octaves
        self.time_mlp = nn.Sequential(nn.Linear(emb_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.label_emb = LabelEmbedding(num_classes, hidden, null=True) if num_classes else None
        self.inp = nn.Linear(in_dim * (1 + 2 * max(octaves, 0)), hidden)
        self.blocks = nn.ModuleList(_Block(hidden) for _ in range(depth))
        self.out = nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, out_dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.time_mlp(timestep_embedding(t, self.emb_dim).to(x.dtype))  # [B, hidden]
        if self.label_emb is not None:  # y None: the null class
            y = torch.full_like(t, self.label_emb.num_classes, dtype=torch.long) if y is None else y
            emb = emb + self.label_emb(y).to(emb.dtype)
        emb = F.silu(emb)
        h = self.inp(fourier_features(x, self.octaves))
        for block in self.blocks:
            h = block(h, emb)
        return self.out(h)
