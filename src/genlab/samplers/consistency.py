"""Multistep consistency sampling (Song et al. 2023, Algorithm 1) over a consistency model's denoiser.

The denoiser's x0 is the consistency function f(x, sigma), which maps any point of an ODE trajectory to its
end. One evaluation at the first grid point gives a sample; each further grid point re-noises that sample to
the point's noise level and maps it back, trading network evaluations for quality.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.samplers.base import Denoiser, Sampler
from genlab.samplers.timesteps import Callback, alpha_bar_pairs, randn_like


def ve_sigma(alpha_bar: float) -> float:
    """The variance-exploding noise level of a VP step: sigma = sqrt((1 - ab) / ab) (Song et al. 2021, eq. 21)."""
    return math.sqrt((1.0 - alpha_bar) / alpha_bar)


@torch.no_grad()
def sample_consistency(
    denoiser: Denoiser,
    x_T: torch.Tensor,
    timesteps: Sequence[int],
    alpha_bar: torch.Tensor,
    generator: torch.Generator | None = None,
    callback: Callback | None = None,
) -> torch.Tensor:
    """Song et al. 2023, Alg. 1 on a decreasing grid: x <- f(x_T, t_0); then for each later t_n
    x_t = sqrt(ab_n) (x + sqrt(sigma_n^2 - sigma_min^2) z) and x <- f(x_t, t_n); network evaluations = grid size."""
    sigma_min = ve_sigma(float(torch.as_tensor(alpha_bar, dtype=torch.float64)[0]))
    x_t, x0 = x_T, x_T
    pairs = alpha_bar_pairs(timesteps, alpha_bar)
    for i, (t, ab_t, _) in enumerate(pairs):
        if i > 0:  # Alg. 1 line 5: x_tau = x + sqrt(tau^2 - eps^2) z, here scaled back to the VP variable
            noise_sd = math.sqrt(max(ve_sigma(ab_t) ** 2 - sigma_min**2, 0.0))
            x_t = math.sqrt(ab_t) * (x0 + noise_sd * randn_like(x0, generator))
        x0 = denoiser(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long, device=x_t.device)).x0
        if callback is not None:
            callback({"i": i, "t": t, "x": x0, "x0": x0})
    return x0


SAMPLER = Sampler("consistency", sample_consistency, {}, stochastic=True)
