"""DDIM sampling (Song et al. 2021) on any decreasing subset of timesteps."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.samplers.base import Denoised, Denoiser, Sampler
from genlab.samplers.timesteps import Callback, alpha_bar_pairs, randn_like


def ddim_sigma(ab_t: float, ab_prev: float, eta: float) -> float:
    """Song et al. eq. 16: sigma = eta sqrt((1 - ab_prev)/(1 - ab_t)) sqrt(1 - ab_t/ab_prev)."""
    return eta * math.sqrt((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev))


def ddim_step(
    x_t: torch.Tensor,
    d: Denoised,
    ab_t: float,
    ab_prev: float,
    eta: float = 0.0,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Song et al. eq. 12: x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma noise."""
    sigma = ddim_sigma(ab_t, ab_prev, eta)
    x_prev = math.sqrt(ab_prev) * d.x0 + math.sqrt(max(1 - ab_prev - sigma**2, 0.0)) * d.eps
    if sigma > 0 and noise is not None:
        x_prev = x_prev + sigma * noise
    return x_prev


@torch.no_grad()
def sample_ddim(
    denoiser: Denoiser,
    x_T: torch.Tensor,
    timesteps: Sequence[int],
    alpha_bar: torch.Tensor,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
    callback: Callback | None = None,
) -> torch.Tensor:
    """DDIM from x_T down the grid; eta = 0 is the deterministic ODE, eta = 1 on the full grid is DDPM."""
    x = x_T
    for i, (t, ab_t, ab_prev) in enumerate(alpha_bar_pairs(timesteps, alpha_bar)):
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        noise = randn_like(x, generator) if (eta > 0 and ab_prev < 1.0) else None
        x = ddim_step(x, d, ab_t, ab_prev, eta, noise)
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "x0": d.x0})
    return x


SAMPLER = Sampler("ddim", sample_ddim, {"eta": 0.0}, stochastic=False)
