"""DDIM inversion (Song et al. 2021 sec. 4.3/5.4): run the deterministic DDIM ODE forwards to encode an image
as x_T, and interpolate two images by spherical interpolation of their codes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.models.diffusion.parameterization import Denoiser
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


def slerp(z_a: torch.Tensor, z_b: torch.Tensor, w: float) -> torch.Tensor:
    """Spherical interpolation per example (flattened), Shoemake 1985; w=0 gives z_a, w=1 gives z_b."""
    a, b = z_a.flatten(1), z_b.flatten(1)
    cos = (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))
    theta = torch.arccos(cos.clamp(-1, 1))[:, None]
    s = torch.sin(theta).clamp_min(1e-8)
    out = torch.where(
        theta > 1e-4, (torch.sin((1 - w) * theta) * a + torch.sin(w * theta) * b) / s, (1 - w) * a + w * b
    )
    return out.reshape(z_a.shape)


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
    ws = torch.linspace(0, 1, frames).tolist()
    z = torch.cat([slerp(z_a, z_b, w) for w in ws])
    return sample_ddim(denoiser, z, timesteps, alpha_bar, eta=0.0)
