"""The exact eps-predictor for 1-D data N(mu, s^2): an independent truth for samplers and the bound."""

from __future__ import annotations

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
