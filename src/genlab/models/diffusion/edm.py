"""The EDM formulation (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models").

x = y + sigma n with y ~ data, n ~ N(0, I). The network F is preconditioned into a denoiser (Table 1, eq. 7):

    D(x; sigma) = c_skip(sigma) x + c_out(sigma) F(c_in(sigma) x; c_noise(sigma))
    c_skip = sd^2 / (sigma^2 + sd^2)    c_out = sigma sd / sqrt(sigma^2 + sd^2)    c_in = 1 / sqrt(sigma^2 + sd^2)

trained with ln(sigma) ~ N(P_mean, P_std^2) and the weight lambda(sigma) = (sigma^2 + sd^2) / (sigma sd)^2 on
||D(y + sigma n; sigma) - y||^2 (eq. 8), which makes F's own regression target of unit variance at every sigma.
c_noise: EDM uses ln(sigma) / 4; genlab's networks embed a DDPM timestep in [0, 1000) with sinusoids, so c_noise
is the same affine function of ln(sigma) stretched onto that range (sigma 0.002 -> 0, sigma 80 -> 1000).

Sampling goes through the same denoiser interface as DDPM (samplers/base.py): at a discrete step t of a VP
schedule, x_t = sqrt(ab) (y + sigma n) with sigma = sqrt((1 - ab) / ab), so D gives x0 and eps = (x - x0) / sigma.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from genlab.models.diffusion.parameterization import OnDevice, gather, guided_output
from genlab.samplers.base import Denoised, Denoiser

SIGMA_DATA = 0.5  # sd: the data's standard deviation (Karras et al. use 0.5 for images in [-1, 1])
P_MEAN, P_STD = -1.2, 1.2  # training noise levels: ln(sigma) ~ N(P_mean, P_std^2) (Table 1)
SIGMA_MIN, SIGMA_MAX = 0.002, 80.0  # the noise range c_noise maps onto [0, 1000]


def preconditioning(sigma: torch.Tensor, sigma_data: float = SIGMA_DATA) -> tuple[torch.Tensor, ...]:
    """(c_skip, c_out, c_in, c_noise) at sigma (Karras et al. Table 1; c_noise rescaled as the module says)."""
    s2, d2 = sigma**2, sigma_data**2
    c_skip = d2 / (s2 + d2)
    c_out = sigma * sigma_data / (s2 + d2).sqrt()
    c_in = 1 / (s2 + d2).sqrt()
    c_noise = 1000 * (sigma.log() - math.log(SIGMA_MIN)) / (math.log(SIGMA_MAX) - math.log(SIGMA_MIN))
    return c_skip, c_out, c_in, c_noise


def edm_denoise(net: Callable[..., torch.Tensor], x: torch.Tensor, sigma: torch.Tensor, *extra) -> torch.Tensor:
    """D(x; sigma) for sigma [B] (eq. 7); `extra` (labels, ...) is passed to the network after c_noise."""
    c_skip, c_out, c_in, c_noise = preconditioning(sigma.to(torch.float64))
    shape = (-1, *([1] * (x.dim() - 1)))
    c_skip, c_out, c_in = (c.to(x.dtype).reshape(shape) for c in (c_skip, c_out, c_in))
    return c_skip * x + c_out * net(c_in * x, c_noise.to(x.dtype), *extra)


def training_sigmas(n: int, device: torch.device) -> torch.Tensor:
    """ln(sigma) ~ N(P_mean, P_std^2), from the global RNG (the trainer seeds it per step)."""
    return (torch.randn(n, device=device) * P_STD + P_MEAN).exp()


def edm_loss(net: Callable[..., torch.Tensor], y: torch.Tensor, sigma: torch.Tensor, noise: torch.Tensor,
             *extra) -> torch.Tensor:
    """Per-example lambda(sigma) ||D(y + sigma n; sigma) - y||^2 averaged over dimensions (eq. 8) [B]."""
    sd2 = SIGMA_DATA**2
    weight = (sigma**2 + sd2) / (sigma * SIGMA_DATA) ** 2
    shape = (-1, *([1] * (y.dim() - 1)))
    denoised = edm_denoise(net, y + sigma.reshape(shape) * noise, sigma, *extra)
    return weight * ((denoised - y) ** 2).reshape(len(y), -1).mean(1)


def make_edm_denoiser(net: Callable[..., torch.Tensor], alpha_bar: torch.Tensor, clip_x0: bool = False,
                      labels: torch.Tensor | None = None, guidance: float = 0.0,
                      null_label: int | None = None) -> Denoiser:
    """The samplers' denoiser (x_t, t) -> Denoised(eps, x0) of an EDM network on the VP grid alpha_bar [T]:
    sigma_t = sqrt((1 - ab_t) / ab_t), x = x_t / sqrt(ab_t), x0 = D(x; sigma_t), eps = (x - x0) / sigma_t. A
    conditional network gets its labels and classifier-free guidance on F (D is affine in F at fixed x and sigma,
    so guiding F guides D and eps alike)."""
    table = OnDevice(alpha_bar)

    def network(x, c_noise, *extra):
        if null_label is None:
            return net(x, c_noise)
        y = torch.full((len(x),), null_label, device=x.device) if labels is None else labels.to(x.device).reshape(-1)
        return guided_output(net, x, c_noise, y, null_label, guidance)

    def denoise(x_t: torch.Tensor, t: torch.Tensor | int) -> Denoised:
        t_b = torch.as_tensor(t, dtype=torch.long, device=x_t.device).reshape(-1).expand(x_t.shape[0])
        ab = gather(table.on(x_t.device), t_b, x_t.double())
        sigma = ((1 - ab) / ab).sqrt()
        x = (x_t.double() / ab.sqrt()).to(x_t.dtype)
        x0 = edm_denoise(network, x, sigma.reshape(-1))
        if clip_x0:
            x0 = x0.clamp(-1, 1)
        eps = ((x.double() - x0.double()) / sigma).to(x_t.dtype)
        return Denoised(eps, x0)

    return denoise


def vp_eps_net(net: Callable[..., torch.Tensor], alpha_bar: torch.Tensor, labels: torch.Tensor | None = None,
               null_label: int | None = None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """An EDM network as the eps-predictor (x_t, t) -> eps of its VP-grid denoiser (make_edm_denoiser, unclipped):
    eps = (x - D(x; sigma_t)) / sigma_t with x = x_t / sqrt(ab_t). Every sampler runs the chain this defines, the
    T-step ancestral one included, so Ho et al.'s bound (eq. 5) on it is the bound of the model the samplers draw
    from, as it is for a DDPM trained on the simple loss. `labels` [B] are repeated for the bound's t-major
    batches of whole repeats of x."""

    def eps(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        y = labels if labels is None or len(labels) == len(x_t) else labels.repeat(len(x_t) // len(labels))
        return make_edm_denoiser(net, alpha_bar, False, y, 0.0, null_label)(x_t, t).eps

    return eps
