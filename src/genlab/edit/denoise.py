"""Denoising with a diffusion prior: y = x + sigma n is a scaled point of the chain at the t where
sqrt((1 - ab_t) / ab_t) = sigma, so the reverse chain can start there from sqrt(ab_t) y."""

from __future__ import annotations

import math

import torch

from genlab.edit.img2img import truncated_grid
from genlab.errors import ConfigError
from genlab.samplers import get_sampler
from genlab.samplers.base import Denoiser
from genlab.samplers.timesteps import Callback


def matching_timestep(alpha_bar: torch.Tensor, sigma: float) -> int:
    """The t whose noise-to-signal ratio sqrt((1 - ab_t) / ab_t) is closest to sigma (in log scale)."""
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64)
    ratio = ((1 - ab) / ab).sqrt()
    return int((ratio.log() - math.log(sigma)).abs().argmin())


@torch.no_grad()
def denoise(
    denoiser: Denoiser,
    alpha_bar: torch.Tensor,
    y: torch.Tensor,
    sigma: float,
    steps: int | None = None,
    generator: torch.Generator | None = None,
    sampler: str = "ddpm",
    callback: Callback | None = None,
    **sampler_options,
) -> torch.Tensor:
    """Remove Gaussian noise of std sigma (in [-1, 1] units) from y: x_t = sqrt(ab_t) y, then `sampler` to 0.

    steps=None uses every timestep from t down to 0; 'ddpm' draws a posterior sample, 'ddim' follows the ODE.
    """
    run = get_sampler(sampler)
    if sigma <= 0:
        raise ConfigError(f"denoise sigma must be > 0, got {sigma}")
    t = matching_timestep(alpha_bar, sigma)
    x_t = math.sqrt(float(alpha_bar[t])) * y
    grid = truncated_grid(t, t + 1 if steps is None else steps)
    return run(
        denoiser, x_t, grid, alpha_bar, generator=generator, callback=callback, **sampler_options
    )
