"""Active units of a latent code (Burda et al. 2016, sec. 5.2)."""

from __future__ import annotations

import torch

THRESHOLD = 0.01  # Burda et al.: a unit is active when Cov_x(E_q[z_u]) > 0.01


def active_units(posterior_mean: torch.Tensor, threshold: float = THRESHOLD) -> dict:
    """Unit u is active when the variance over data of its posterior mean, Cov_x(E_{q(z|x)}[z_u]), exceeds
    `threshold`. posterior_mean [N, *latent_shape] -> {'active', 'dims', 'variances' (per unit)}."""
    mu = posterior_mean.detach().double().reshape(len(posterior_mean), -1)
    var = mu.var(dim=0, unbiased=True) if len(mu) > 1 else torch.zeros(mu.shape[1], dtype=torch.float64)
    return {"active": int((var > threshold).sum()), "dims": int(mu.shape[1]), "threshold": threshold,
            "variances": var.tolist()}
