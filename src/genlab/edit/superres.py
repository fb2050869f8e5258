"""ILVR super-resolution (Choi et al. 2021): at every reverse step replace the low frequencies of the sample
by those of the noised reference, x_{t-1} = phi_N(y_{t-1}) + (I - phi_N)(x'_{t-1}) (their eq. 7)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from genlab.errors import ConfigError
from genlab.samplers.base import Denoiser
from genlab.samplers.ddpm import ddpm_step
from genlab.samplers.timesteps import Callback, alpha_bar_pairs, randn_like


def low_pass(x: torch.Tensor, factor: int) -> torch.Tensor:
    """phi_N: average-pool by `factor` then nearest-upsample back (a projection: phi(phi(x)) = phi(x))."""
    return F.interpolate(F.avg_pool2d(x, factor), scale_factor=factor, mode="nearest")


@torch.no_grad()
def superres(
    denoiser: Denoiser,
    alpha_bar: torch.Tensor,
    y_low: torch.Tensor,
    factor: int,
    timesteps: Sequence[int],
    generator: torch.Generator | None = None,
    variance: str = "fixed_small",
    stop_t: int = 0,
    callback: Callback | None = None,
) -> torch.Tensor:
    """Upsample y_low [B, C, h, w] by `factor` to [B, C, h*factor, w*factor], the prior supplying the detail.

    Conditions the steps with t >= stop_t (Choi et al.'s range); stop_t = 0 gives avg_pool(out) = y_low.
    """
    if factor < 1:
        raise ConfigError(f"super-resolution factor must be >= 1, got {factor}")
    y = F.interpolate(y_low, scale_factor=factor, mode="nearest")  # [B, C, H, W]; phi_N(y) = y
    x = randn_like(y, generator)
    for i, (t, ab_t, ab_prev) in enumerate(alpha_bar_pairs(timesteps, alpha_bar)):
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        x = ddpm_step(x, d, ab_t, ab_prev, variance, randn_like(x, generator) if ab_prev < 1 else None)
        if t >= stop_t:
            y_prev = math.sqrt(ab_prev) * y + math.sqrt(1 - ab_prev) * randn_like(
                y, generator
            )  # y_{t-1} ~ q(.|y)
            x = low_pass(y_prev, factor) + x - low_pass(x, factor)
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "x0": d.x0})
    return x
