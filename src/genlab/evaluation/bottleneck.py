"""The information bottleneck and compression (issue 17): latent against data dimension, active units (Burda et
al. 2016) and reconstruction quality per family; the rate-distortion point of a Gaussian-posterior code (VAE,
LDM autoencoder). DDPM's "latent" is x_T, of the data's own size: DDIM inversion's reconstruction stands in."""

from __future__ import annotations

import torch

from genlab.errors import ConfigError, NotAvailable
from genlab.maths.gaussian import standard_normal_kl
from genlab.metrics.active_units import active_units
from genlab.metrics.rate_distortion import distortion, rate_distortion
from genlab.metrics.records import unavailable


def posterior(model, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, logvar) of q(z|x) of a VAE or of an LDM's autoencoder (unscaled); NotAvailable for other families."""
    if model.family not in ("vae", "ldm"):
        raise NotAvailable(f"{model.family}: no Gaussian posterior q(z|x)")
    with torch.no_grad():
        return model.posterior(x)


def decode_latent(model, z: torch.Tensor) -> torch.Tensor:
    """Image from an unscaled latent z of a VAE or LDM autoencoder."""
    with torch.no_grad():
        return model.decode(z * model.scale_factor if model.family == "ldm" else z)


def _cat(parts: list) -> tuple[torch.Tensor, ...]:
    return tuple(torch.cat([p[k] for p in parts]) for k in range(len(parts[0])))


KL_SAMPLES = 64  # z draws per example of the KL estimate when the prior has no closed-form KL


def _mc_kl(prior, mu: torch.Tensor, logvar: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """KL(q(z|x) || p(z)) per example as the mean of KL_SAMPLES one-sample estimates log q(z|x) - log p(z), z ~ q:
    one draw is unbiased but noisy enough to average below zero over a small test set."""
    total = torch.zeros(mu.shape[0], device=mu.device, dtype=mu.dtype)
    for _ in range(KL_SAMPLES):
        eps = torch.randn(mu.shape, generator=g).to(mu.device, mu.dtype)
        total += prior.kl(mu, logvar, mu + (0.5 * logvar).exp() * eps)
    return total / KL_SAMPLES


def code_of(model, x: torch.Tensor, device: torch.device, batch: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """mu, logvar, the reconstruction from the posterior mean and from one posterior sample, on CPU; 'kl': each
    example's KL(q(z|x) || p(z)) in nats (a VAE's own prior: a Monte Carlo estimate for a mixture)."""
    g = torch.Generator().manual_seed(seed)
    parts = []
    prior = getattr(model, "prior", None) if model.family == "vae" else None
    for i in range(0, len(x), batch):
        mu, logvar = posterior(model, x[i:i + batch].to(device))
        eps = torch.randn(mu.shape, generator=g).to(mu.device, mu.dtype)
        z = mu + (0.5 * logvar).exp() * eps  # Kingma & Welling 2014, eq. 10
        with torch.no_grad():
            kl = standard_normal_kl(mu, logvar) if prior is None or prior.analytic_kl else _mc_kl(prior, mu, logvar, g)
        parts.append([t.float().cpu() for t in (mu, logvar, decode_latent(model, mu), decode_latent(model, z), kl)])
    mu, logvar, x_mean, x_sample, kl = _cat(parts)
    return {"mu": mu, "logvar": logvar, "x_mean": x_mean, "x_sample": x_sample, "kl": kl}


def compression_point(model, x: torch.Tensor, device: torch.device, batch: int = 250) -> dict:
    """Rate (KL in bits per image) and distortion (MSE, PSNR of the decoder at a posterior sample z ~ q(z|x), the
    code a bits-back coder sends) of a VAE or LDM autoencoder on images x."""
    try:
        c = code_of(model, x, device, batch)
    except (NotAvailable, ConfigError) as e:
        return unavailable(str(e))
    return {**rate_distortion(c["mu"], c["logvar"], x.float(), c["x_sample"], rate_nats=c["kl"]),
            "beta": getattr(model.config, "beta", None), "latent_dim": int(c["mu"][0].numel())}


def bottleneck_row(model, x: torch.Tensor, device: torch.device, batch: int = 250, steps: int = 20) -> dict:
    """{'latent_dim', 'data_dim', 'ratio', 'active_units', 'mse', 'psnr', 'latent'} of one family on images x."""
    data_dim = int(x[0].numel())
    if model.family == "ddpm":
        with torch.no_grad():
            rec = torch.cat([model.decode(model.encode(x[i:i + batch].to(device), steps=steps), steps=steps)
                             .float().cpu() for i in range(0, len(x), batch)])
        return {"latent": f"x_T by DDIM inversion ({steps} steps)", "latent_dim": data_dim, "data_dim": data_dim,
                "ratio": 1.0, "active_units": None, **distortion(x.float(), rec)}
    try:
        c = code_of(model, x, device, batch)
    except (NotAvailable, ConfigError) as e:
        return unavailable(str(e))
    au = active_units(c["mu"])
    return {"latent": "posterior mean" if model.family == "vae" else "autoencoder posterior mean",
            "latent_dim": au["dims"], "data_dim": data_dim, "ratio": au["dims"] / data_dim,
            "active_units": au["active"], **distortion(x.float(), c["x_mean"])}
