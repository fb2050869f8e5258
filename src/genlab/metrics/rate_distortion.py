"""Rate and distortion of a Gaussian-posterior code (Alemi et al. 2018): rate = KL(q(z|x) || p(z)) in bits
per image (p = N(0, I) unless given), distortion = squared error and PSNR of the reconstruction."""

from __future__ import annotations

import math

import torch

from genlab.maths.gaussian import standard_normal_kl


def rate_bits(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) in bits per example [B] (the bits-back code length of z)."""
    return standard_normal_kl(mu.double(), logvar.double()) / math.log(2.0)


def distortion(x: torch.Tensor, x_hat: torch.Tensor, peak_to_peak: float = 2.0) -> dict:
    """Mean squared error per value and PSNR in dB (data in [-1, 1]: peak-to-peak 2) over a batch."""
    mse = float((x.double() - x_hat.double()).pow(2).mean())
    return {"mse": mse, "psnr": 10 * math.log10(peak_to_peak ** 2 / max(mse, 1e-12))}


def rate_distortion(mu: torch.Tensor, logvar: torch.Tensor, x: torch.Tensor, x_hat: torch.Tensor,
                    rate_nats: torch.Tensor | None = None) -> dict:
    """{'rate_bits', 'rate_bits_se', 'mse', 'psnr', 'n'}: the point of one code on the rate-distortion plane. The
    rate is KL to N(0, I) unless rate_nats gives each example's KL to another prior (e.g. a one-sample estimate)."""
    r = rate_bits(mu, logvar) if rate_nats is None else rate_nats.double() / math.log(2.0)
    se = float(r.std() / math.sqrt(len(r))) if len(r) > 1 else 0.0
    return {"rate_bits": float(r.mean()), "rate_bits_se": se, **distortion(x, x_hat), "n": len(r)}
