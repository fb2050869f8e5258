"""Variational autoencoder (Kingma & Welling 2014) with beta weighting and an IWAE likelihood bound.

q_phi(z|x) = N(mu, diag(exp(logvar))), p(z) N(0, I) or a learned Gaussian mixture (latent_prior.py), p_theta(x|z)
one of decoder_likelihoods.
Training minimises recon + beta_eff * KL; likelihoods are reported with the importance-weighted
bound of Burda et al. 2016 on the discrete data (genlab.data.quantize).

The conditional VAE (Sohn et al. 2015; model.conditional) gives the label to both networks, q_phi(z|x, y) and
p_theta(x|z, y), with p(z|y) = p(z): its ELBO and IWAE bound are bounds on log p(x|y).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from genlab.data.dataset import DataInfo
from genlab.data.quantize import bits_per_dim, log_cell_volume, uniform_dequantize
from genlab.errors import ConfigError
from genlab.maths.gaussian import normal_log_density, sum_per_example
from genlab.maths.interpolation import interpolation_path
from genlab.models.base import GenerativeModel, TrainState
from genlab.models.decoder_likelihoods import make_likelihood, resolve_likelihood_name
from genlab.models.latent_prior import PRIORS, make_prior
from genlab.nn.conv import UPSAMPLING, ConvDecoder, ConvEncoder, latent_grid
from genlab.nn.embeddings import class_vector
from genlab.nn.mlp import mlp

LOGVAR_RANGE = (-30.0, 20.0)  # clamp on the encoder's log-variance, for numerical safety only


@dataclass
class VAEConfig:
    """Hyperparameters of a VAE; network knobs left None are chosen from the data shape (conv_vae_size)."""

    latent_dim: int | None = None  # flat latent size; None: from the data shape (32 for points)
    likelihood: str = "auto"  # auto | gaussian | gaussian_learned | logistic | bernoulli | continuous_bernoulli
    sigma: float = 0.1  # fixed decoder std of the 'gaussian' likelihood
    sigma_per_dim: bool = False  # gaussian_learned: per-dimension log sigma from the decoder, else one global
    sigma_init: float = 1.0  # gaussian_learned: the global sigma's starting value
    beta: float = 1.0  # weight on the KL term (Higgins et al. 2017)
    kl_warmup_steps: int = 0  # linear KL annealing from 0 to beta over this many steps
    channels: int | None = None  # conv base width
    channel_mult: tuple[int, ...] | None = None  # widths per resolution; 2^(len-1) total downsampling
    prior: str = "normal"  # p(z): normal (N(0, I)) | mixture (a learned mixture of K Gaussians; flat latents)
    prior_components: int = 50  # K of the mixture prior
    upsample: str = "subpixel"  # decoder upsampling: subpixel (Shi et al. 2016; 1.8x faster on CPU) | nearest
    spatial: bool = False  # spatial latent [z_channels, H/f, W/f] instead of a flat vector
    z_channels: int = 4  # channels of the spatial latent
    hidden: int = 256  # MLP width (points)
    depth: int = 3  # MLP hidden layers (0 gives a linear encoder/decoder)
    iwae_k: int = 100  # importance samples of log_likelihood
    iwae_batch: int = 1024  # most decoder evaluations at once in the IWAE bound (bounds memory)
    conditional: bool = False  # conditional VAE: the one-hot label enters the encoder and the decoder


def conv_vae_size(shape: tuple[int, ...]) -> tuple[int, tuple[int, ...], int]:
    """Default (channels, channel_mult, latent_dim) of the conv VAE for an image shape (C, H, W)."""
    side = min(shape[1], shape[2])
    if 17 <= side < 32:
        # 28x28: widths 8/32/64 at 28/14/7 pixels and a 16-d latent. The encoder's and decoder's convs at full
        # resolution dominate the cost (H*W*C^2), so the width goes where the pixels are few: 2.7x the training
        # steps per second of (32, (1,2,2)), and after 150 s on a 2-core CPU FD 14.9 against 36.0 (the same widths
        # with a 32-d latent: 26.3): fewer latent dimensions leave fewer holes in the prior between the
        # posteriors, so prior samples look like digits. Bigger budgets: --set model.channels=32
        # --set model.latent_dim=32.
        return 8, (1, 4, 8), 16
    return 32, (1, 2, 2), 32


class VAE(GenerativeModel):
    """VAE with conv networks for images and MLPs for points; see VAEConfig."""

    family = "vae"
    default_train = {"lr": 1e-3, "batch_size": 128, "warmup_steps": 100, "grad_clip": 1.0, "ema_decay": 0.999}

    def __init__(self, config: VAEConfig, info: DataInfo):
        super().__init__(config, info)
        if config.beta < 0:
            raise ConfigError(f"vae: beta must be >= 0, got {config.beta}")
        for key in ("latent_dim", "channels"):
            if getattr(config, key) is not None and getattr(config, key) < 1:
                raise ConfigError(f"vae: {key} must be >= 1, got {getattr(config, key)}")
        if config.upsample not in UPSAMPLING:
            raise ConfigError(f"vae: upsample must be one of {', '.join(UPSAMPLING)}, got '{config.upsample}'")
        if config.prior not in PRIORS:
            raise ConfigError(f"vae: prior must be one of {', '.join(PRIORS)}, got '{config.prior}'")
        if config.prior == "mixture" and (config.spatial or config.prior_components < 1):
            raise ConfigError("vae: the mixture prior needs a flat latent (spatial=false) and prior_components >= 1")
        if config.iwae_k < 1:
            raise ConfigError(f"vae: iwae_k must be >= 1, got {config.iwae_k}")
        name = resolve_likelihood_name(config.likelihood, info.kind, info.levels)
        self.likelihood_name = name
        if config.sigma_init <= 0:
            raise ConfigError(f"vae: sigma_init must be > 0, got {config.sigma_init}")
        self.likelihood = make_likelihood(name, info.levels, config.sigma, config.sigma_per_dim, config.sigma_init)
        p = self.likelihood.params_per_dim
        k = info.num_classes if self.conditional else 0  # one-hot channels appended to each network's input
        if info.kind == "image":
            c, h, w = info.shape
            channels, mult, latent_dim = conv_vae_size(info.shape)
            mult = tuple(config.channel_mult or mult)
            self.latent_dim = config.latent_dim or latent_dim
            net = dict(channels=config.channels or channels, channel_mult=mult, spatial=config.spatial)
            self.encoder = ConvEncoder(c + k, (h, w), latent_dim=self.latent_dim, z_channels=config.z_channels, **net)
            self.decoder = ConvDecoder(c * p, (h, w), latent_dim=self.latent_dim + k,
                                       z_channels=config.z_channels + k, upsample=config.upsample, **net)
            if config.spatial:
                self.latent_shape = (config.z_channels, *latent_grid(h, w, mult))
            else:
                self.latent_shape = (self.latent_dim,)
        elif info.kind == "points":
            if config.spatial:
                raise ConfigError("vae: a spatial latent needs image data")
            d = info.dim
            self.latent_dim = config.latent_dim or 32
            self.encoder = mlp(d + k, config.hidden, 2 * self.latent_dim, depth=config.depth)
            self.decoder = mlp(self.latent_dim + k, config.hidden, d * p, depth=config.depth)
            self.latent_shape = (self.latent_dim,)
        else:
            raise ConfigError(f"vae: unsupported data kind '{info.kind}'")
        self.prior = make_prior(config.prior, self.latent_shape, config.prior_components)

    # ---- pieces ------------------------------------------------------------------------------
    def _with_label(self, v: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """v, or (conditional) v with the one-hot labels appended: as channel maps for [B, C, H, W], else as
        features. Labels are ints [B] or class rows [B, K] (a lerp between two classes)."""
        if not self.conditional:
            return v
        if labels is None:
            raise ConfigError("vae: a conditional VAE needs the class labels of its inputs")
        y = class_vector(labels.to(v.device), self.info.num_classes, v.dtype)  # [B, K]
        if v.dim() == 4:
            y = y[:, :, None, None].expand(-1, -1, *v.shape[2:])
        return torch.cat([v, y], dim=1)

    def posterior(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """q_phi(z|x) (conditional: q_phi(z|x, y)) parameters (mu, logvar), each [B, *latent_shape]."""
        mu, logvar = self.encoder(self._with_label(x, labels)).chunk(2, dim=1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    def decoder_params(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Likelihood parameters [B, P*C, H, W] (images) or [B, P*D] (points) of p_theta(x|z) (or x|z, y)."""
        return self.decoder(self._with_label(z, labels))

    def _target(self, x: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, float]:
        """Data the likelihood sees, and the log-volume term turning its log density into log P of grid data.

        Continuous likelihoods on discrete data see uniformly dequantized data (Theis et al. 2016):
        log P(k) >= E_u[log p(y)] + D log(2/levels).
        """
        if self.likelihood.discrete or self.info.levels is None:
            return x, 0.0
        levels = self.info.levels
        return uniform_dequantize(x, levels, generator), log_cell_volume(self.info.dim, levels)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I) (Kingma & Welling 2014, eq. 10)."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def beta_eff(self, step: int) -> float:
        """beta times the linear KL warm-up factor min(1, step / kl_warmup_steps)."""
        if self.config.kl_warmup_steps <= 0:
            return self.config.beta
        return self.config.beta * min(1.0, step / self.config.kl_warmup_steps)

    def neg_elbo_parts(self, x: torch.Tensor, generator: torch.Generator | None = None,
                       labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(recon, kl) in nats per example [B]: recon = -E_q log P(x|z) (one z), kl = KL(q(z|x) || p(z)) (closed
        form for N(0, I), a one-sample estimate for the mixture prior); for a conditional VAE given y (Sohn et al.
        2015, eq. 4): -E_q log P(x|z, y) and KL(q(z|x, y) || p(z|y))."""
        y, log_vol = self._target(x, generator)
        mu, logvar = self.posterior(x, labels)
        z = self.reparameterize(mu, logvar, generator)
        recon = -(self.likelihood.log_prob(self.decoder_params(z, labels), y) + log_vol)
        return recon, self.prior.kl(mu, logvar, z)

    # ---- training ----------------------------------------------------------------------------
    def forward(self, group: str, batch: torch.Tensor, state: TrainState,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """-ELBO loss with beta-weighted KL: recon + beta_eff * KL, mean over the batch (a bound on -log p(x|y)
        when conditional: 'elbo' is then the conditional ELBO)."""
        recon, kl = self.neg_elbo_parts(batch, labels=labels)
        recon, kl = recon.mean(), kl.mean()
        beta = self.beta_eff(state.step)
        neg_elbo = recon + kl
        return {"loss": recon + beta * kl, "recon": recon.detach(), "kl": kl.detach(),
                "elbo": neg_elbo.detach(), "neg_elbo_bpd": bits_per_dim(neg_elbo.detach(), self.info.dim),
                "beta": torch.tensor(beta, device=batch.device)}

    # ---- likelihood --------------------------------------------------------------------------
    @torch.no_grad()
    def iwae_bound(self, x: torch.Tensor, k: int | None = None, generator: torch.Generator | None = None,
                   labels: torch.Tensor | None = None) -> torch.Tensor:
        """IWAE bound L_K on log p(x) (conditional: log p(x|y)) in nats per example [B], on x as given.

        Burda et al. 2016, eq. 8: L_K = E[log (1/K) sum_k p(x, z_k) / q(z_k|x)], z_k ~ q(z|x) (with y given to
        q, p(x|z) and p(z|y) = p(z) when conditional). A density for continuous likelihoods, log P of grid data
        for discrete ones.
        """
        k = k or self.config.iwae_k
        mu, logvar = self.posterior(x, labels)
        b = x.shape[0]
        chunk = max(1, self.config.iwae_batch // b)
        log_w = []
        for start in range(0, k, chunk):
            kc = min(chunk, k - start)
            mu_r, lv_r = mu.repeat(kc, *([1] * (mu.dim() - 1))), logvar.repeat(kc, *([1] * (mu.dim() - 1)))
            x_r = x.repeat(kc, *([1] * (x.dim() - 1)))  # [kc*B, ...], sample-major
            y_r = None if labels is None else labels.repeat(kc)
            z = self.reparameterize(mu_r, lv_r, generator)
            # log w = log p(x|z) + log p(z) - log q(z|x)
            log_prior = self.prior.log_prob(z)
            lw = (self.likelihood.log_prob(self.decoder_params(z, y_r), x_r) + log_prior
                  - sum_per_example(normal_log_density(z, mu_r, lv_r)))
            log_w.append(lw.reshape(kc, b))
        return torch.logsumexp(torch.cat(log_w, dim=0), dim=0) - math.log(k)

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, generator: torch.Generator | None = None,
                       labels: torch.Tensor | None = None) -> torch.Tensor:
        """IWAE bound (K = config.iwae_k) on -log P(x) of the discrete data in bits/dim, [B]; for a conditional
        VAE given the labels of x, on -log P(x|y).

        For continuous data (levels None) it is a bound on the negative log density.
        """
        y, log_vol = self._target(x, generator)
        return bits_per_dim(-(self.iwae_bound(y, generator=generator, labels=labels) + log_vol), self.info.dim)

    @torch.no_grad()
    def elbo_terms(self, x: torch.Tensor, generator: torch.Generator | None = None,
                   labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The two -ELBO terms in bits/dim per example: 'recon' and 'kl' (they sum to the -ELBO bound)."""
        recon, kl = self.neg_elbo_parts(x, generator, labels)
        return {"recon": bits_per_dim(recon, self.info.dim), "kl": bits_per_dim(kl, self.info.dim)}

    # ---- use ---------------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Posterior mean mu_phi(x) (conditional: mu_phi(x, y)), [B, *latent_shape]."""
        return self.posterior(x, labels)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's point estimate of x given z (conditional: z, y) in data space, [B, *info.shape]: the mean
        E[x|z] for the Gaussian and Bernoulli likelihoods, the location mu (clamped to [-1, 1]: the median of the
        censored distribution, sharper than its mean) for the discretized logistic."""
        x = self.likelihood.mean(self.decoder_params(z, labels))
        return x.clamp(-1, 1) if self.info.kind == "image" else x

    def sample_options(self) -> dict[str, object]:
        return {"temperature": 1.0, "decoder_sample": self.info.kind == "points"}

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0,
               decoder_sample: bool | None = None, labels=None) -> torch.Tensor:
        """z ~ p(z) (its spread scaled by temperature), then the decoder mean, or x ~ p(x|z) if decoder_sample (points:
        yes); a conditional VAE decodes with labels [n] (default: the even split, sample k of class k mod K)."""
        if decoder_sample is None:
            decoder_sample = self.info.kind == "points"
        y = self.sample_labels(n, labels)
        z = self.prior.sample(n, self.latent_shape, generator, self.device, temperature)
        if not decoder_sample:
            return self.decode(z, y)
        x = self.likelihood.sample(self.decoder_params(z, y), generator)
        return x.clamp(-1, 1) if self.info.kind == "image" else x

    @torch.no_grad()
    def interpolate(self, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8, mode: str = "slerp",
                    labels: tuple[int, int] | None = None) -> torch.Tensor:
        """Decoded frames on a lerp/slerp path between the posterior means of x_a and x_b: [steps, *shape]; a
        conditional VAE encodes each end with its label and decodes with the one-hot labels lerped along."""
        shape = tuple(self.info.shape)
        ends = [None, None] if labels is None else [torch.tensor([int(v)], device=self.device) for v in labels]
        z_a = self.encode(x_a.reshape(1, *shape), ends[0])[0]
        z_b = self.encode(x_b.reshape(1, *shape), ends[1])[0]
        y = None
        if labels is not None:
            y_a, y_b = (class_vector(v, self.info.num_classes)[0] for v in ends)
            y = interpolation_path(y_a, y_b, steps, "lerp")  # [steps, K]
        return self.decode(interpolation_path(z_a, z_b, steps, mode), y)
