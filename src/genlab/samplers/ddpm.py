"""Ancestral sampling of Ho et al. 2020 (Algorithm 2) on any decreasing timestep grid."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.errors import ConfigError
from genlab.samplers.base import Denoised, Denoiser, Sampler
from genlab.samplers.timesteps import Callback, alpha_bar_pairs, randn_like


def ddpm_step(
    x_t: torch.Tensor,
    d: Denoised,
    ab_t: float,
    ab_prev: float,
    variance: str = "fixed_small",
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """A draw from p(x_prev|x_t) = N(mu_tilde(x_t, x0_theta), sigma^2); grid beta = 1 - ab_t/ab_prev."""
    alpha = ab_t / ab_prev
    beta = 1 - alpha
    # Ho et al. eq. 7: posterior mean from the predicted x_0
    mean = (math.sqrt(ab_prev) * beta / (1 - ab_t)) * d.x0 + (
        math.sqrt(alpha) * (1 - ab_prev) / (1 - ab_t)
    ) * x_t
    if noise is None or ab_prev >= 1.0:
        return mean
    post_var = beta * (1 - ab_prev) / (1 - ab_t)  # beta_tilde (eq. 7)
    if variance == "fixed_small":
        std = math.sqrt(post_var)
    elif variance == "fixed_large":
        std = math.sqrt(beta)
    elif variance == "learned_range":
        if d.var_frac is None:
            raise ConfigError("variance 'learned_range' needs a denoiser with a learned variance")
        # Nichol & Dhariwal 2021 eq. 15 on this grid's beta and beta_tilde
        std = torch.exp(0.5 * (d.var_frac * math.log(beta) + (1 - d.var_frac) * math.log(post_var)))
    else:
        raise ConfigError(
            f"unknown DDPM variance '{variance}' (choose fixed_small, fixed_large or learned_range)"
        )
    return mean + std * noise


@torch.no_grad()
def sample_ddpm(
    denoiser: Denoiser,
    x_T: torch.Tensor,
    timesteps: Sequence[int],
    alpha_bar: torch.Tensor,
    variance: str = "fixed_small",
    generator: torch.Generator | None = None,
    callback: Callback | None = None,
) -> torch.Tensor:
    """Run the ancestral chain from x_T down the grid; fresh noise every step but the last (Algorithm 2)."""
    x = x_T
    for i, (t, ab_t, ab_prev) in enumerate(alpha_bar_pairs(timesteps, alpha_bar)):
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        noise = randn_like(x, generator) if ab_prev < 1.0 else None
        x = ddpm_step(x, d, ab_t, ab_prev, variance, noise)
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "x0": d.x0})
    return x


SAMPLER = Sampler("ddpm", sample_ddpm, {"variance": "fixed_small"}, stochastic=True)
