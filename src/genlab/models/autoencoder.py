"""KL-regularised autoencoder, the first stage of latent diffusion (Rombach et al. 2022, sec. 3.1).

q(z|x) = N(mu(x), diag exp(logvar(x))) on a spatial latent [z_channels, H/f, W/f], built from
genlab.nn.conv's encoder/decoder in spatial mode. Training minimises the reconstruction error plus a
small KL(q(z|x) || N(0, I)) weight (Rombach et al. use 1e-6); the paper's perceptual and adversarial
terms are left out, so the reconstruction term is a plain squared error.

For the likelihood bound the decoder mean is read as a Gaussian p(y|z) = N(y; D(z), sigma^2 I) on
uniformly dequantized data, with one global sigma set to its maximum-likelihood value on training
data (`fit_sigma`) when the autoencoder is frozen; any fixed sigma gives a valid bound.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from genlab.maths.gaussian import standard_normal_kl
from genlab.nn.conv import ConvDecoder, ConvEncoder, latent_grid

LOGVAR_RANGE = (-30.0, 20.0)  # clamp on the encoder's log-variance, for numerical safety only


def psnr(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB of data in [-1, 1] (peak-to-peak 2), averaged over the batch's MSE."""
    mse = (x - x_hat).pow(2).mean()
    return 10 * torch.log10(4.0 / mse.clamp_min(1e-12))


class KLAutoencoder(nn.Module):
    """Conv encoder -> (mu, logvar) of a [z_channels, h, w] latent -> conv decoder -> image mean."""

    def __init__(self, shape: tuple[int, int, int], z_channels: int = 4, channels: int = 32,
                 channel_mult: tuple[int, ...] = (1, 2, 2)):
        super().__init__()
        c, h, w = shape
        net = dict(channels=channels, channel_mult=tuple(channel_mult), spatial=True, z_channels=z_channels)
        self.encoder = ConvEncoder(c, (h, w), **net)
        self.decoder = ConvDecoder(c, (h, w), **net)
        self.latent_shape = (z_channels, *latent_grid(h, w, tuple(channel_mult)))
        self.register_buffer("log_sigma", torch.zeros(()))  # global std of the Gaussian decoder of the bound

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of q(z|x), each [B, *latent_shape]."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    @staticmethod
    def sample_posterior(mu: torch.Tensor, logvar: torch.Tensor,
                         generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps (Kingma & Welling 2014, eq. 10)."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder mean D(z), [B, C, H, W] (unclamped)."""
        return self.decoder(z)

    def losses(self, x: torch.Tensor, kl_weight: float) -> dict[str, torch.Tensor]:
        """Training terms on a batch x: 'loss', 'mse', 'psnr' (of the sampled-z reconstruction), 'kl'.

        loss = sum_pixels (x - D(z))^2 / D + kl_weight * KL / D, i.e. Rombach et al.'s weighting of a
        per-example KL against a per-example summed reconstruction error, both divided by D = C*H*W.
        """
        mu, logvar = self.posterior(x)
        z = self.sample_posterior(mu, logvar)
        x_hat = self.decode(z)
        d = x[0].numel()
        mse = (x - x_hat).pow(2).mean()
        kl = standard_normal_kl(mu, logvar).mean()
        loss = mse + kl_weight * kl / d
        return {"loss": loss, "mse": mse.detach(), "psnr": psnr(x, x_hat.detach().clamp(-1, 1)),
                "kl": kl.detach(), "latent_std": mu.detach().float().std()}

    @torch.no_grad()
    def fit_sigma(self, y: torch.Tensor, z: torch.Tensor, chunk: int = 500) -> None:
        """Set sigma to its maximum-likelihood value sqrt(mean (y - D(z))^2) on data y and latents z."""
        sq = sum(float((y[i:i + chunk] - self.decode(z[i:i + chunk])).float().pow(2).sum())
                 for i in range(0, len(y), chunk))
        self.log_sigma.fill_(0.5 * math.log(max(sq / y.numel(), 1e-12)))
