"""The discretized Gaussian decoder of the variational bound (Ho et al. 2020 sec. 3.3)."""

from __future__ import annotations

import torch


def discretized_gaussian_log_likelihood(
    x: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor, levels: int = 256
) -> torch.Tensor:
    """Ho et al. 2020 eq. 13: log Gaussian mass of x's bin (width 2/(levels-1)); edge bins reach +-inf.

    x lies on the grid 2k/(levels-1) - 1. Elementwise, in nats.
    """
    half = 1.0 / (levels - 1)
    inv_std = torch.exp(-0.5 * log_var)
    upper = inv_std * (x - mean + half)
    lower = inv_std * (x - mean - half)
    log_cdf_upper = torch.special.log_ndtr(upper)  # log Phi(upper): the left edge bin
    log_sf_lower = torch.special.log_ndtr(-lower)  # log (1 - Phi(lower)): the right edge bin
    # mass of an interior bin, computed on the side of the mean where it is not a difference of ones
    mid = torch.where(
        lower > 0,
        torch.special.ndtr(-lower) - torch.special.ndtr(-upper),
        torch.special.ndtr(upper) - torch.special.ndtr(lower),
    )
    log_mid = torch.log(mid.clamp_min(1e-12))
    return torch.where(x < -1 + half, log_cdf_upper, torch.where(x > 1 - half, log_sf_lower, log_mid))
