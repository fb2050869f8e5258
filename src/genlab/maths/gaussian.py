"""Gaussian log-densities and KL divergences, elementwise in nats, plus the per-example sum.

The one home of these formulas: the VAE's ELBO and IWAE bound, the LDM autoencoder, the decoder likelihoods
and the diffusion bound all call them.
"""

from __future__ import annotations

import math

import torch

LOG_2PI = math.log(2 * math.pi)


def sum_per_example(t: torch.Tensor) -> torch.Tensor:
    """Sum over every non-batch dimension: [B, ...] -> [B]."""
    return t.reshape(t.shape[0], -1).sum(dim=1)


def normal_log_density(x: torch.Tensor, mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, e^log_var) elementwise: -(log 2 pi + log_var + (x - mean)^2 / var) / 2."""
    return -0.5 * (LOG_2PI + log_var + (x - mean) ** 2 * torch.exp(-log_var))


def normal_log_density_sigma(x: torch.Tensor, mean: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, sigma^2) elementwise, by log sigma: -((x - mean)/sigma)^2/2 - log sigma - log(2 pi)/2."""
    return -0.5 * ((x - mean) * torch.exp(-log_sigma)) ** 2 - log_sigma - 0.5 * LOG_2PI


def standard_normal_log_density(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) elementwise."""
    return -0.5 * z.pow(2) - 0.5 * LOG_2PI


def normal_kl(mean1: torch.Tensor, logvar1: torch.Tensor, mean2: torch.Tensor, logvar2: torch.Tensor
              ) -> torch.Tensor:
    """KL(N(mean1, e^logvar1) || N(mean2, e^logvar2)) elementwise."""
    return 0.5 * (-1.0 + logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + (mean1 - mean2) ** 2 * torch.exp(-logvar2))


def standard_normal_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag e^logvar) || N(0, I)) per example [B], summed over all non-batch dims.

    Kingma & Welling 2014, Appendix B: -KL = 1/2 sum(1 + log sigma^2 - mu^2 - sigma^2).
    """
    return sum_per_example(0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar))
