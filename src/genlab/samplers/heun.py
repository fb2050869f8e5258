"""Heun's 2nd-order sampler of EDM (Karras et al. 2022, Algorithm 2) on the Karras sigma grid, with optional churn.

In sigma space (x = x_t / sqrt(ab), sigma = sqrt((1 - ab) / ab)) the probability-flow ODE is dx/dsigma =
(x - D(x; sigma)) / sigma (eq. 1 with s = 1, sigma(t) = t). Each step: optionally raise the noise from sigma_i to
sigma_hat = (1 + gamma) sigma_i, gamma = min(S_churn / N, sqrt 2 - 1) inside [S_tmin, S_tmax], by adding
sqrt(sigma_hat^2 - sigma_i^2) S_noise n; an Euler step to sigma_{i+1}; then, unless sigma_{i+1} = 0, the trapezoidal
correction with the slope at the end point. The grid (eq. 5): sigma_i = (sigma_max^(1/rho) + i/(N-1)
(sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, rho = 7, then sigma_N = 0. A discrete model knows its T noise levels
only, so each sigma (and sigma_hat) is taken at the level nearest in log sigma (sigma_hat: the nearest level at or
above it, so the added noise variance is never negative); rho = 0 walks the model's own timestep grid instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.samplers.base import Denoiser, Sampler
from genlab.samplers.timesteps import Callback, randn_like


def karras_levels(alpha_bar: torch.Tensor, t_max: int, n: int, rho: float) -> list[int]:
    """n decreasing levels t whose sigmas are nearest (in log) to eq. 5's grid from sigma(t_max) to sigma(0)."""
    log_sigma = 0.5 * torch.log((1 - alpha_bar) / alpha_bar)
    s_max, s_min = math.exp(float(log_sigma[t_max])), math.exp(float(log_sigma[0]))
    ramp = torch.linspace(0, 1, n, dtype=torch.float64) if n > 1 else torch.zeros(1, dtype=torch.float64)
    sigmas = (s_max ** (1 / rho) + ramp * (s_min ** (1 / rho) - s_max ** (1 / rho))) ** rho
    levels = [int(torch.argmin((log_sigma - math.log(s)).abs())) for s in sigmas.tolist()]
    return sorted(set(levels), reverse=True)  # nearby sigmas may share a level on a coarse schedule


@torch.no_grad()
def sample_heun(denoiser: Denoiser, x_T: torch.Tensor, timesteps: Sequence[int], alpha_bar: torch.Tensor,
                rho: float = 7.0, churn: float = 0.0, s_tmin: float = 0.0, s_tmax: float = 1000.0,
                s_noise: float = 1.0, generator: torch.Generator | None = None,
                callback: Callback | None = None) -> torch.Tensor:
    """EDM Algorithm 2 from x_T ~ N(0, I) (VP scaling) to x_0; churn = 0 is the deterministic ODE solver."""
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64)
    ts = [int(t) for t in timesteps]
    levels = karras_levels(ab, ts[0], len(ts), rho) if rho > 0 else ts
    sigma_of = ((1 - ab) / ab).sqrt()

    def slope(x: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(dx/dsigma, D) at level t: the denoiser sees x in VP scaling, x_t = x sqrt(ab_t)."""
        a = float(ab[t])
        d = denoiser(x * math.sqrt(a), torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        return (x - d.x0) / float(sigma_of[t]), d.x0

    x = x_T / math.sqrt(float(ab[levels[0]]))  # x_T ~ N(0, I) in VP is N(0, 1 + sigma^2) in sigma space
    gamma_max = min(churn / len(levels), math.sqrt(2) - 1) if churn > 0 else 0.0
    for i, t in enumerate(levels):
        sigma = float(sigma_of[t])
        if gamma_max > 0 and s_tmin <= sigma <= s_tmax:  # churn: raise the noise to the level at or above sigma_hat
            above = torch.nonzero(sigma_of >= sigma * (1 + gamma_max)).reshape(-1)
            t_hat = int(above[0]) if len(above) else len(ab) - 1
            sigma_hat = float(sigma_of[t_hat])
            x = x + math.sqrt(max(sigma_hat**2 - sigma**2, 0.0)) * s_noise * randn_like(x, generator)
            t, sigma = t_hat, sigma_hat
        d, x0 = slope(x, t)
        sigma_next = float(sigma_of[levels[i + 1]]) if i + 1 < len(levels) else 0.0
        x_next = x + (sigma_next - sigma) * d  # Euler step
        if sigma_next > 0:  # the 2nd-order correction (trapezoidal rule)
            d_next, _ = slope(x_next, levels[i + 1])
            x_next = x + (sigma_next - sigma) * (d + d_next) / 2
        x = x_next
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "x0": x0})
    return x


SAMPLER = Sampler("heun", sample_heun, {"rho": 7.0, "churn": 0.0, "s_tmin": 0.0, "s_tmax": 1000.0, "s_noise": 1.0},
                  evals_per_step=2, stochastic=False, evals_saved=1)
