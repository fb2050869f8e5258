"""The exact eps-predictor for 1-D data N(mu, s^2): an independent truth for samplers and the bound."""

from __future__ import annotations

import math

import torch

from genlab.models.diffusion.parameterization import Denoised, x0_from_eps


def optimal_eps_net(alpha_bar: torch.Tensor, mu: float, s: float):
    """net(x_t, t) = E[eps | x_t] = sqrt(1-ab) (x_t - sqrt(ab) mu) / (ab s^2 + 1 - ab)."""
    ab_all = torch.as_tensor(alpha_bar, dtype=torch.float64)

    def net(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = ab_all[t.cpu()].to(x_t).reshape(-1, *([1] * (x_t.dim() - 1)))
        return (1 - ab).sqrt() * (x_t - ab.sqrt() * mu) / (ab * s**2 + 1 - ab)

    return net


def optimal_denoiser(alpha_bar: torch.Tensor, mu: float, s: float):
    net = optimal_eps_net(alpha_bar, mu, s)
    ab_all = torch.as_tensor(alpha_bar, dtype=torch.float64)

    def denoise(x_t: torch.Tensor, t: torch.Tensor) -> Denoised:
        t = torch.as_tensor(t).reshape(-1).expand(x_t.shape[0])
        eps = net(x_t, t)
        ab = ab_all[t.cpu()].to(x_t).reshape(-1, *([1] * (x_t.dim() - 1)))
        return Denoised(eps, x0_from_eps(x_t, eps, ab))

    return denoise


def expected_bound_terms(schedule, mu: float, s: float, variance: str = "fixed_small") -> torch.Tensor:
    """E over x0 ~ N(mu, s^2), x_t | x0 of each bound term L_0..L_{T-1} in nats (continuous decoder).

    With the optimal predictor mu_theta = c1 E[x0|x_t] + c2 x_t, so mu_q - mu_theta = c1 (x0 - E[x0|x_t]) and
    E[(x0 - E[x0|x_t])^2] = (1 - k sqrt(ab))^2 s^2 + k^2 (1 - ab), k = sqrt(ab) s^2 / (ab s^2 + 1 - ab).
    """
    ab = torch.as_tensor(schedule.alpha_bar, dtype=torch.float64)
    k = ab.sqrt() * s**2 / (ab * s**2 + 1 - ab)
    err2 = (1 - k * ab.sqrt()) ** 2 * s**2 + k**2 * (1 - ab)
    c1 = torch.as_tensor(schedule.posterior_mean_coef1)
    post = torch.as_tensor(schedule.posterior_variance)
    log_var = torch.as_tensor(schedule.posterior_log_variance_clipped)
    if variance == "fixed_large":
        log_var = torch.log(torch.cat([post[1:2], torch.as_tensor(schedule.betas[1:])]))
    var = log_var.exp()
    kl = 0.5 * (log_var - torch.log(post.clamp_min(1e-300)) + post / var - 1 + c1**2 * err2 / var)
    l0 = 0.5 * (math.log(2 * math.pi) + log_var[0]) + err2[0] / (2 * var[0])  # c1 = 1 at t = 0
    return torch.cat([l0.reshape(1), kl[1:]])
