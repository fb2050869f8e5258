"""Latent diffusion (Rombach et al. 2022): a KL autoencoder, then a DDPM on its scaled spatial latent.

Stage 1 (optimizer group 'autoencoder') trains genlab.models.autoencoder.KLAutoencoder for the first
`stage1_fraction` of the budget. When stage 2 (group 'diffusion') begins, the latent scale factor
s = 1 / std(z) is estimated from posterior samples z ~ q(z|x) of training images (Rombach et al.,
appendix G: "rescale the latent by the component-wise standard deviation", here one scalar as in their
code) and kept in a buffer. Stage 2 trains the DDPM family's model, unchanged, on u = s z with the
autoencoder frozen; sampling draws u with any DDPM sampler and decodes D(u / s). A conditional LDM
(model.conditional) conditions the latent DDPM only: the autoencoder stays unconditional.

The trainer samples from an EMA of the whole module, whose autoencoder weights still lag behind the frozen
ones when stage 2 starts. So the frozen weights are also kept as buffers (which the EMA copies, not averages)
and every use of the autoencoder after stage 1 first restores them: the EMA copy decodes with exactly the
autoencoder that its diffusion model and scale factor were fitted to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
from torch import nn

from genlab.data.dataset import DataInfo, Dataset
from genlab.data.quantize import bits_per_dim, log_cell_volume, uniform_dequantize
from genlab.errors import ConfigError
from genlab.maths.gaussian import normal_log_density_sigma, sum_per_example
from genlab.maths.interpolation import interpolation_path
from genlab.models.autoencoder import KLAutoencoder
from genlab.models.base import GenerativeModel, TrainState
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.rng import Generator


@dataclass
class LDMConfig:
    """Autoencoder knobs, the two-stage split, and the DDPM settings used on the latent."""

    # ---- stage 1: the autoencoder
    latent_channels: int = 4  # channels of the spatial latent
    downsample: int | None = None  # latent = image / downsample; None: 2 below 16x16 images, else 4
    ae_channels: int = 32  # conv base width
    ae_channel_mult: tuple[int, ...] | None = None  # one per resolution; None: (1, 2, 2, ...) from downsample
    # weight of KL(q(z|x) || N(0, I)) against the summed squared error. Rombach et al. use 1e-6 beside a
    # perceptual loss; with plain squared error 1e-2 keeps the latent smooth enough to diffuse (digits: clearly
    # more recognisable samples after 800 steps than 1e-6, at ~1 dB lower reconstruction PSNR)
    kl_weight: float = 1e-2
    ae_lr: float = 1e-3  # learning rate of the 'autoencoder' group (the 'diffusion' group uses train.lr)
    stage1_fraction: float = 0.3  # share of the training budget spent on the autoencoder
    scale_images: int = 2000  # training images used to estimate the latent scale factor
    # ---- stage 2: the DDPM family's own config, used on the scaled latent (--set model.diffusion.KEY=VALUE)
    diffusion: DDPMConfig = field(default_factory=lambda: latent_ddpm_config())
    conditional: bool = False  # class-conditional latent DDPM (label dropout: model.diffusion.label_dropout)


def latent_ddpm_config() -> DDPMConfig:
    """The DDPM defaults on latents: v-prediction, a 48-channel U-Net, no clipping of x0.

    v (Salimans & Ho 2022): x0 = sqrt(ab) x_t - sqrt(1 - ab) v stays bounded at large t, where an eps-net's
    x0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab) amplifies its error ~150x and, unclipped on latents, blows up.
    The latent is small, so width is cheap there. Latents are not confined to [-1, 1]: clip_x0 stays off.
    """
    return DDPMConfig(prediction="v", channels=48, clip_x0=False)


def autoencoder_mult(config: LDMConfig, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Channel multipliers of the autoencoder; their count fixes the downsampling factor 2^(len-1)."""
    f = config.downsample or (2 if min(shape[1], shape[2]) < 16 else 4)
    if f < 1 or f & (f - 1):
        raise ConfigError(f"ldm: downsample must be a power of 2, got {f}")
    mult = tuple(config.ae_channel_mult or (1,) + (2,) * int(math.log2(f)))
    if 2 ** (len(mult) - 1) != f:
        raise ConfigError(f"ldm: ae_channel_mult {mult} downsamples by {2 ** (len(mult) - 1)}, not {f}")
    return mult


class LDM(GenerativeModel):
    """Latent diffusion model: KL autoencoder + DDPM on the scaled latent; any of genlab's samplers."""

    family = "ldm"
    null_class = True
    default_train = {"lr": 1e-3, "batch_size": 128, "betas": (0.9, 0.999), "warmup_steps": 100,
                     "grad_clip": 1.0, "ema_decay": 0.999}

    def __init__(self, config: LDMConfig, info: DataInfo):
        super().__init__(config, info)
        c = config
        if info.kind != "image":
            raise ConfigError(f"ldm: needs image data, not '{info.kind}'")
        if not 0.0 < c.stage1_fraction < 1.0:
            raise ConfigError(f"ldm: stage1_fraction must be in (0, 1), got {c.stage1_fraction}")
        if c.kl_weight < 0:
            raise ConfigError(f"ldm: kl_weight must be >= 0, got {c.kl_weight}")
        self.autoencoder = KLAutoencoder(tuple(info.shape), c.latent_channels, c.ae_channels,
                                         autoencoder_mult(c, info.shape))
        self.latent_shape = self.autoencoder.latent_shape
        latent_info = DataInfo(f"{info.name}-latent", "image", self.latent_shape, None, info.num_classes)
        self.diffusion = DDPM(replace(c.diffusion, conditional=self.conditional), latent_info)
        self.register_buffer("scale_factor", torch.ones(()))  # s: u = s z has unit std on the data
        self.register_buffer("ae_frozen", torch.zeros((), dtype=torch.bool))
        self.ae_snapshot = nn.Module()  # the frozen autoencoder's parameters, as buffers
        for name, p in self.autoencoder.named_parameters():
            self.ae_snapshot.register_buffer(name.replace(".", "__"), torch.zeros_like(p))

    @property
    def conditional(self) -> bool:
        """model.conditional (or model.diffusion.conditional): the latent DDPM is class-conditional."""
        return bool(self.config.conditional or self.config.diffusion.conditional)

    @torch.no_grad()
    def _ae(self) -> KLAutoencoder:
        """The autoencoder, with the frozen stage-1 weights restored once stage 2 has begun."""
        if bool(self.ae_frozen):
            for name, p in self.autoencoder.named_parameters():
                p.copy_(getattr(self.ae_snapshot, name.replace(".", "__")))
        return self.autoencoder

    # ---- training ----------------------------------------------------------------------------
    def optimizer_groups(self) -> dict[str, dict]:
        return {"autoencoder": {"params": list(self.autoencoder.parameters()), "lr": self.config.ae_lr},
                "diffusion": {"params": list(self.diffusion.parameters())}}

    def plan(self, state: TrainState) -> list[str]:
        return ["autoencoder"] if state.progress < self.config.stage1_fraction else ["diffusion"]

    def group_span(self, group: str) -> tuple[float, float]:
        f = self.config.stage1_fraction
        return (0.0, f) if group == "autoencoder" else (f, 1.0)

    @torch.no_grad()
    def on_group_start(self, group: str, data: Dataset, state: TrainState) -> None:
        """Entering stage 2: freeze the autoencoder; on up to `scale_images` training images set the scale
        s = 1 / std of posterior samples z ~ q(z|x), and the bound's decoder sigma to its maximum-likelihood value."""
        if group != "diffusion":
            return
        self.autoencoder.eval()
        device = self.scale_factor.device
        x = data.train[: self.config.scale_images].to(device)
        g = torch.Generator(device).manual_seed(0)
        z = torch.cat([self._latent_sample(x[i:i + 500], g) for i in range(0, len(x), 500)])
        self.scale_factor.fill_(1.0 / z.std().clamp_min(1e-8))
        levels = self.info.levels
        self.autoencoder.fit_sigma(uniform_dequantize(x, levels, g) if levels else x, z)
        for name, p in self.autoencoder.named_parameters():
            getattr(self.ae_snapshot, name.replace(".", "__")).copy_(p)
        self.ae_frozen.fill_(True)

    def _latent_sample(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        mu, logvar = self._ae().posterior(x)
        return self.autoencoder.sample_posterior(mu.float(), logvar.float(), generator)

    def forward(self, group: str, batch: torch.Tensor, state: TrainState,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """'autoencoder': reconstruction + KL terms (mse, psnr logged); 'diffusion': DDPM loss on u = s z (told the
        labels when conditional)."""
        if group == "autoencoder":
            return self.autoencoder.losses(batch, self.config.kl_weight)
        if group != "diffusion":
            raise ConfigError(f"ldm: unknown optimizer group '{group}'")
        self.autoencoder.eval()
        with torch.no_grad():
            u = self._latent_sample(batch) * self.scale_factor  # Rombach et al. sec. 3.3: eps-loss on z = E(x)
        terms = self.diffusion.forward("main", u, state, labels)
        return {**terms, "latent_std": u.std()}

    # ---- sampling ----------------------------------------------------------------------------
    def sample_options(self) -> dict[str, object]:
        return self.diffusion.sample_options()

    def nfe(self, **options) -> int:
        """Diffusion network evaluations plus the one decoder pass."""
        return self.diffusion.nfe(**options) + 1

    @torch.no_grad()
    def sample_latents(self, n: int, generator: Generator = None, callback=None, labels=None,
                       **options) -> torch.Tensor:
        """Scaled latents u_0 [n, *latent_shape] from the latent DDPM's own sampling path."""
        return self.diffusion.sample_chain(n, generator, callback, labels, **options)

    @torch.no_grad()
    def sample(self, n: int, generator: Generator = None, callback=None, labels=None, **options) -> torch.Tensor:
        """n images [n, *info.shape]: latents from the diffusion sampler (labels [n] when conditional), decoded
        as D(u / s)."""
        return self.decode(self.sample_latents(n, generator, callback, labels, **options))

    # ---- autoencoder views -----------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, x: torch.Tensor, labels=None) -> torch.Tensor:
        """Scaled posterior mean s mu(x), [B, *latent_shape] (the space the diffusion model lives in)."""
        return self._ae().posterior(x)[0] * self.scale_factor

    @torch.no_grad()
    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, logvar) of the autoencoder's q(z|x) on the unscaled latent, each [B, *latent_shape]."""
        return self._ae().posterior(x)

    @torch.no_grad()
    def decode(self, u: torch.Tensor, labels=None) -> torch.Tensor:
        """Image D(u / s) in [-1, 1] from a scaled latent u."""
        return self._ae().decode(u / self.scale_factor).clamp(-1, 1)

    @torch.no_grad()
    def interpolate(self, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8, mode: str = "slerp",
                    labels=None) -> torch.Tensor:
        """Frames [steps, *shape]: DDIM-invert both scaled latents to u_T, slerp, DDIM back, decode.

        mode 'lerp' instead decodes a straight line between the two scaled posterior means (no diffusion).
        """
        u_a, u_b = (self.encode(v.reshape(1, *self.info.shape)) for v in (x_a, x_b))
        if mode == "lerp":
            return self.decode(interpolation_path(u_a[0], u_b[0], steps, "lerp"))
        if mode != "slerp":
            raise ConfigError(f"ldm interpolates by 'slerp' of DDIM-inverted latents or 'lerp', not '{mode}'")
        return self.decode(self.diffusion.interpolate(u_a, u_b, steps))

    # ---- likelihood --------------------------------------------------------------------------
    @torch.no_grad()
    def latent_nll(self, z: torch.Tensor, generator: torch.Generator | None = None,
                   t_subset: int | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Upper bound on -log p(z) in nats [B] for unscaled latents z: L_vlb(s z) - d log s.

        p(z) = p_u(s z) s^d (change of variables u = s z); -log p_u(u) <= L_vlb(u), Ho et al. eq. 5 with the
        continuous Gaussian decoder at t = 0.
        """
        d = z[0].numel()
        vlb_bits = self.diffusion.vlb_terms(z * self.scale_factor, generator, t_subset, labels)["total"]  # bits/dim
        return vlb_bits * d * math.log(2.0) - d * torch.log(self.scale_factor)

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, generator: torch.Generator | None = None,
                       t_subset: int | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Upper bound on -log P(x) of the discrete data in bits/dim, [B] (one z and one dequantization draw); with
        labels [B] (conditional), on -log P(x|y): the latent prior p(z|y) is then the conditional latent DDPM.

        With y the uniformly dequantized x (Theis et al. 2016) and levels L over D values:
            -log P(x) <= E_u[-log p(y)] - D log(2/L)
        and for p(y) = int p(y|z) p(z) dz, any q(z|x) gives the ELBO (Kingma & Welling 2014, eq. 3)
            -log p(y) <= E_q[-log N(y; D(z), sigma^2 I) + log q(z|x) - log p(z)],
        where -log p(z) <= L_vlb(s z) - d log s (latent_nll) and E_q log q(z|x) = -1/2 sum(1 + log 2 pi + logvar).
        Each expectation is estimated with one draw, so the result is an unbiased estimate of the bound. With the
        paper's tiny kl_weight the posterior variances shrink and E_q log q(z|x) is large, so the bound is loose
        (7.4 bits/dim on digits after 1000 steps, above the 4.09 of a uniform model): valid, not competitive.
        """
        ae = self._ae()
        levels = self.info.levels
        y = uniform_dequantize(x, levels, generator) if levels else x
        log_vol = log_cell_volume(self.info.dim, levels) if levels else 0.0
        mu, logvar = ae.posterior(x)
        z = ae.sample_posterior(mu, logvar, generator)
        recon = -sum_per_example(normal_log_density_sigma(y, ae.decode(z), ae.log_sigma))  # -log N(y; D(z), sigma^2 I)
        neg_entropy = -0.5 * (1 + math.log(2 * math.pi) + logvar).flatten(1).sum(dim=1)  # E_q log q(z|x)
        nll = recon + neg_entropy + self.latent_nll(z, generator, t_subset, labels) - log_vol
        return bits_per_dim(nll, self.info.dim)
