"""Improved precision and recall (Kynkaanniemi et al. 2019): k-NN balls as the support of each set."""

from __future__ import annotations

import torch

from genlab.metrics.distances import DEFAULT_CHUNK, as_float64, distance_chunks, kth_neighbour_radii


def manifold_share(query: torch.Tensor, support: torch.Tensor, radii: torch.Tensor,
                   chunk: int = DEFAULT_CHUNK) -> float:
    """Share of query rows inside the union of balls B(support_i, radii_i) (strict <, eq. 1)."""
    inside = 0
    for _, d in distance_chunks(query, support, chunk):  # d [chunk, N_support]
        inside += int((d < radii[None, :]).any(dim=1).sum())
    return inside / len(query)


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3,
                     chunk: int = DEFAULT_CHUNK) -> tuple[float, float]:
    """(precision, recall): share of fake inside the real manifold, share of real inside the fake one."""
    real, fake = as_float64(real), as_float64(fake)
    # Kynkaanniemi et al. 2019, eq. 1-2: f(phi, Phi) = 1 iff ||phi - phi'|| < ||phi' - NN_k(phi')|| for a phi'
    precision = manifold_share(fake, real, kth_neighbour_radii(real, k, chunk), chunk)
    recall = manifold_share(real, fake, kth_neighbour_radii(fake, k, chunk), chunk)
    return precision, recall
