"""DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): multistep second-order solver of the diffusion ODE
in lambda = log(alpha / sigma), using data (x0) predictions. alpha = sqrt(ab), sigma = sqrt(1 - ab)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.samplers.base import Denoiser, Sampler
from genlab.samplers.timesteps import Callback, alpha_bar_pairs


def alpha_sigma_lambda(ab: float) -> tuple[float, float, float]:
    """(alpha, sigma, lambda = log(alpha / sigma)) of alpha_bar; lambda is +inf at sigma = 0."""
    alpha, sigma = math.sqrt(ab), math.sqrt(max(1 - ab, 0.0))
    lam = math.log(alpha) - math.log(sigma) if sigma > 0 else math.inf
    return alpha, sigma, lam


def multistep_x0(x0: torch.Tensor, prev_x0: torch.Tensor | None, lam_s: float, prev_lam: float | None,
                 h: float) -> torch.Tensor:
    """The data estimate D of a 2M step of length h from lambda_s: x0 alone at the first step (eq. 9, first
    order), else Algorithm 2's D = (1 + 1/2r) x0_i - 1/2r x0_{i-1} with r = (lambda_s - lambda_prev) / h."""
    if prev_x0 is None:
        return x0
    r = (lam_s - prev_lam) / h
    return x0 + (x0 - prev_x0) / (2 * r)


@torch.no_grad()
def sample_dpm_solver(
    denoiser: Denoiser,
    x_T: torch.Tensor,
    timesteps: Sequence[int],
    alpha_bar: torch.Tensor,
    generator: torch.Generator | None = None,
    callback: Callback | None = None,
) -> torch.Tensor:
    """DPM-Solver++(2M) from x_T down the grid, ending at sigma = 0. Deterministic (generator is unused).

    First order (DDIM in data form) at the first step and at the last step onto sigma = 0, as diffusers does.
    """
    x = x_T
    prev_x0, prev_lam = None, None
    pairs = alpha_bar_pairs(timesteps, alpha_bar)
    for i, (t, ab_t, ab_next) in enumerate(pairs):
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        _, sigma_s, lam_s = alpha_sigma_lambda(ab_t)
        alpha_t, sigma_t, lam_t = alpha_sigma_lambda(ab_next)
        if sigma_t == 0:
            x = alpha_t * d.x0  # the h -> inf limit of the first-order update
        else:
            h = lam_t - lam_s
            d_hat = multistep_x0(d.x0, prev_x0, lam_s, prev_lam, h)
            x = (sigma_t / sigma_s) * x - alpha_t * math.expm1(-h) * d_hat
        prev_x0, prev_lam = d.x0, lam_s
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "x0": d.x0})
    return x


SAMPLER = Sampler("dpm_solver", sample_dpm_solver)
