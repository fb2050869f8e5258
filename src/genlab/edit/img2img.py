"""SDEdit image-to-image (Meng et al. 2022): perturb the input to noise level t0 = strength, then denoise."""

from __future__ import annotations

import math

import numpy as np
import torch

from genlab.errors import ConfigError
from genlab.samplers import get_sampler
from genlab.samplers.base import Denoiser
from genlab.samplers.timesteps import Callback, randn_like


def truncated_grid(t_start: int, steps: int) -> list[int]:
    """`steps` decreasing timesteps from t_start down to 0 (evenly spaced, duplicates removed)."""
    ts = np.unique(np.round(np.linspace(0, t_start, max(1, steps))).astype(np.int64))
    return [int(t) for t in ts[::-1]]


@torch.no_grad()
def img2img(
    denoiser: Denoiser,
    alpha_bar: torch.Tensor,
    x: torch.Tensor,
    strength: float,
    steps: int = 50,
    generator: torch.Generator | None = None,
    sampler: str = "ddim",
    callback: Callback | None = None,
    **sampler_options,
) -> torch.Tensor:
    """SDEdit: x_t0 = sqrt(ab) x + sqrt(1 - ab) eps at t0 = strength * T, then `sampler` down to 0.

    strength 0 returns x unchanged; strength 1 starts from (almost) pure noise. About strength * steps NFE.
    """
    run = get_sampler(sampler)
    if not 0.0 <= strength <= 1.0:
        raise ConfigError(f"img2img strength must be in [0, 1], got {strength}")
    T = len(alpha_bar)
    t0 = round(strength * T) - 1
    if t0 < 0:
        return x.clone()
    ab = float(alpha_bar[t0])
    x_t = math.sqrt(ab) * x + math.sqrt(1 - ab) * randn_like(x, generator)  # Meng et al. eq. 4 in VP form
    grid = truncated_grid(t0, math.ceil(strength * steps))
    return run(
        denoiser, x_t, grid, alpha_bar, generator=generator, callback=callback, **sampler_options
    )
