"""DDIM inversion (Song et al. 2021 sec. 4.3/5.4): run the deterministic DDIM ODE forwards to encode an image
as x_T, and interpolate two images by spherical interpolation of their codes. Not a sampler: an encoder."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.maths.interpolation import slerp
from genlab.samplers.base import Denoiser
from genlab.samplers.ddim import sample_ddim
from genlab.samplers.timesteps import alpha_bar_pairs


@torch.no_grad()
def ddim_invert(
    denoiser: Denoiser, alpha_bar: torch.Tensor, x0: torch.Tensor, timesteps: Sequence[int]
) -> torch.Tensor:
    """x_0 -> x_T up the grid: x_next = sqrt(ab_next) x0_theta + sqrt(1 - ab_next) eps_theta, with eps_theta
    taken at the current point (the usual first-order inversion); DDIM eta=0 on the same grid decodes it."""
    pairs = alpha_bar_pairs(timesteps, alpha_bar)[::-1]  # (t, ab_t, ab_prev) from the cleanest step up
    x = x0
    for t, ab_t, ab_prev in pairs:
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        # eps at the current (less noisy) point stands in for eps at t; x0 is re-derived from it at this point
        x0_hat = (x - math.sqrt(1 - ab_prev) * d.eps) / math.sqrt(ab_prev)
        x = math.sqrt(ab_t) * x0_hat + math.sqrt(1 - ab_t) * d.eps
    return x


@torch.no_grad()
def interpolate(
    denoiser: Denoiser,
    alpha_bar: torch.Tensor,
    x_a: torch.Tensor,
    x_b: torch.Tensor,
    timesteps: Sequence[int],
    frames: int = 8,
) -> torch.Tensor:
    """Frames [frames, ...] between x_a, x_b [1, ...]: invert both, slerp the codes, decode by DDIM."""
    z_a = ddim_invert(denoiser, alpha_bar, x_a, timesteps)
    z_b = ddim_invert(denoiser, alpha_bar, x_b, timesteps)
    w = torch.linspace(0, 1, frames, dtype=z_a.dtype, device=z_a.device)
    return sample_ddim(denoiser, slerp(z_a[0], z_b[0], w), timesteps, alpha_bar, eta=0.0)
