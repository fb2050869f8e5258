"""Density and coverage (Naeem et al. 2020): k-NN balls around real samples only."""

from __future__ import annotations

import torch

from genlab.metrics.distances import DEFAULT_CHUNK, as_float64, distance_chunks, kth_neighbour_radii


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5,
                     chunk: int = DEFAULT_CHUNK) -> tuple[float, float]:
    """(density, coverage) of fake features [M, D] against real features [N, D]."""
    real, fake = as_float64(real), as_float64(fake)
    radii = kth_neighbour_radii(real, k, chunk)  # [N]
    balls_hit = 0
    for _, d in distance_chunks(fake, real, chunk):  # d [chunk, N]
        balls_hit += int((d < radii[None, :]).sum())
    # Naeem et al. 2020, eq. 3: density = 1/(kM) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]
    density = balls_hit / (k * len(fake))
    covered = 0
    for start, d in distance_chunks(real, fake, chunk):  # d [chunk, M]
        covered += int((d.min(dim=1).values < radii[start:start + len(d)]).sum())
    # eq. 4: coverage = 1/N sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]
    return density, covered / len(real)


def density_per_sample(real: torch.Tensor, fake: torch.Tensor, k: int = 5,
                       chunk: int = DEFAULT_CHUNK) -> torch.Tensor:
    """Each fake row's share of density [M]: (real k-NN balls containing it) / k; their mean is the density."""
    real, fake = as_float64(real), as_float64(fake)
    radii = kth_neighbour_radii(real, k, chunk)
    out = torch.empty(len(fake), dtype=torch.float64)
    for start, d in distance_chunks(fake, real, chunk):
        out[start:start + len(d)] = (d < radii[None, :]).sum(dim=1).double().cpu() / k
    return out
