"""Generative adversarial network (Goodfellow et al. 2014): G maps z ~ N(0, I) to data; D tells real from
fake.

Each iteration updates the discriminator `n_disc` times on fake = G(z).detach(), then the generator
once through a frozen D. Losses live in gan_losses.py; networks in nn/dcgan.py.

A conditional GAN (model.conditional) has a class-conditional generator G(z, y) and a projection discriminator
D(x, y) (Miyato & Koyama 2018); fakes are drawn with the labels of the real batch they are compared with.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlab import rng
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError, NotAvailable
from genlab.maths.interpolation import interpolation_path
from genlab.models import gan_losses as L
from genlab.models.base import GenerativeModel, TrainState
from genlab.models.truncation import truncated_normal
from genlab.nn.dcgan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from genlab.nn.embeddings import class_vector

LOSSES = ("ns", "minimax", "hinge", "wgan-gp")
_D_LOSS = {"ns": L.d_loss_minimax, "minimax": L.d_loss_minimax, "hinge": L.d_loss_hinge,
           "wgan-gp": L.d_loss_wgan}
_G_LOSS = {"ns": L.g_loss_nonsaturating, "minimax": L.g_loss_minimax, "hinge": L.g_loss_hinge,
           "wgan-gp": L.g_loss_wgan}


@dataclass
class GANConfig:
    """GAN hyperparameters. Widths are base channels (images) or hidden units (2-D points)."""

    loss: str = "ns"  # "ns" | "minimax" | "hinge" | "wgan-gp"
    latent_dim: int = 64
    g_width: int = 64
    d_width: int = 64
    mlp_depth: int = 3  # hidden layers of the 2-D networks
    spectral_norm: bool = False  # on D (Miyato et al. 2018)
    gp_weight: float = 10.0  # lambda of WGAN-GP (Gulrajani et al. 2017)
    r1_gamma: float = 0.0  # R1 weight (Mescheder et al. 2018); 0 = off
    lr_g: float = 2e-4  # two time-scale update rule (Heusel et al. 2017): separate lr for G and D
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)  # Radford et al. 2016
    n_disc: int = 1  # D steps per G step (5 is usual for WGAN-GP)
    conditional: bool = False  # class-conditional G (label embedding) and projection D


class GAN(GenerativeModel):
    """A generator G and discriminator D trained with one of the losses in gan_losses.py."""

    family = "gan"
    default_train = {"lr": 2e-4, "betas": (0.5, 0.999), "warmup_steps": 0, "grad_clip": 0.0,
                     "ema_decay": 0.999, "batch_size": 64}

    def __init__(self, config: GANConfig, info: DataInfo):
        super().__init__(config, info)
        if config.loss not in LOSSES:
            raise ConfigError(f"unknown GAN loss '{config.loss}' (choose from {', '.join(LOSSES)})")
        if config.n_disc < 1:
            raise ConfigError(f"model.n_disc must be >= 1, got {config.n_disc}")
        if config.latent_dim < 1:
            raise ConfigError(f"model.latent_dim must be >= 1, got {config.latent_dim}")
        k = self.num_classes
        if info.kind == "points":
            self.G = MLPGenerator(config.latent_dim, info.dim, config.g_width, config.mlp_depth, k)
            self.D = MLPDiscriminator(info.dim, config.d_width, config.mlp_depth, config.spectral_norm, k)
        elif info.kind == "image":
            shape = tuple(info.shape)
            self.G = DCGANGenerator(config.latent_dim, shape, config.g_width, k)
            self.D = DCGANDiscriminator(shape, config.d_width, config.spectral_norm, k)
        else:
            raise ConfigError(f"GAN: unsupported data kind '{info.kind}'")

    # ---- training -------------------------------------------------------------------------
    def optimizer_groups(self) -> dict[str, dict]:
        c = self.config
        return {"disc": {"params": list(self.D.parameters()), "lr": c.lr_d, "betas": tuple(c.betas)},
                "gen": {"params": list(self.G.parameters()), "lr": c.lr_g, "betas": tuple(c.betas)}}

    def plan(self, state: TrainState) -> list[str]:
        return ["disc"] * self.config.n_disc + ["gen"]

    def _z(self, n: int, like: torch.Tensor) -> torch.Tensor:
        return torch.randn(n, self.config.latent_dim, device=like.device, dtype=like.dtype)

    def forward(self, group: str, batch: torch.Tensor, state: TrainState,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if group == "disc":
            return self._disc_step(batch, labels)
        if group == "gen":
            return self._gen_step(batch, labels)
        raise ValueError(f"GAN has no optimizer group '{group}'")

    def _disc_step(self, real: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        c = self.config
        with torch.no_grad():
            fake = self.G(self._z(real.shape[0], real), y)
        use_r1 = c.r1_gamma > 0
        real = real.detach().requires_grad_(use_r1)
        real_logits, fake_logits = self.D(real, y), self.D(fake, y)
        d_loss = _D_LOSS[c.loss](real_logits, fake_logits)
        out = {"d_real": real_logits.detach().mean(), "d_fake": fake_logits.detach().mean()}
        loss = d_loss
        if c.loss == "wgan-gp":
            out["gp"] = L.gradient_penalty(lambda x: self.D(x, y), real, fake, c.gp_weight)
            loss = loss + out["gp"]
        if use_r1:
            out["r1"] = L.r1_penalty(real_logits, real, c.r1_gamma)
            loss = loss + out["r1"]
        return {"loss": loss, "d_loss": d_loss.detach(), **{k: v.detach() for k, v in out.items()}}

    def _gen_step(self, real: torch.Tensor, y: torch.Tensor | None) -> dict[str, torch.Tensor]:
        fake = self.G(self._z(real.shape[0], real), y)
        # Freeze D while building the graph: the G step must leave no gradient on D's parameters.
        flags = [p.requires_grad for p in self.D.parameters()]
        for p in self.D.parameters():
            p.requires_grad_(False)
        try:
            fake_logits = self.D(fake, y)
        finally:
            for p, f in zip(self.D.parameters(), flags, strict=True):
                p.requires_grad_(f)
        g_loss = _G_LOSS[self.config.loss](fake_logits)
        return {"loss": g_loss, "g_loss": g_loss.detach(), "d_fake": fake_logits.detach().mean()}

    # ---- use -------------------------------------------------------------------------------
    def _device(self) -> torch.device:
        return next(self.G.parameters()).device

    def latents(self, n: int, generator: rng.Generator = None,
                truncation: float | None = None) -> torch.Tensor:
        """z [n, latent_dim] from N(0, I), or from the truncated normal |z_i| <= truncation."""
        shape = (n, self.config.latent_dim)
        if truncation is None:
            return rng.randn(shape, generator, self._device())
        return truncated_normal(shape, float(truncation), generator, device=self._device())

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) (conditional: G(z, y), labels [n] or class rows [n, K]) in eval mode (BatchNorm uses its running
        statistics), [n, *info.shape]."""
        was_training = self.G.training
        self.G.eval()
        try:
            return self.G(z.to(self._device()), None if labels is None else labels.to(self._device()))
        finally:
            self.G.train(was_training)

    @torch.no_grad()
    def sample(self, n: int, generator: rng.Generator = None, truncation: float | None = None, labels=None,
               **options) -> torch.Tensor:
        """G(z) for z ~ N(0, I) (truncated at `truncation`); conditional: labels [n], default the even split."""
        if options:
            raise ConfigError(f"GAN: unknown sampling option(s) {', '.join(sorted(options))}")
        return self.generate(self.latents(n, generator, truncation), self.sample_labels(n, labels))

    def sample_options(self) -> dict[str, object]:
        return {"truncation": None}

    def nfe(self, **options) -> int:
        return 1

    def log_likelihood(self, x: torch.Tensor, generator: rng.Generator = None, labels=None) -> torch.Tensor:
        raise NotAvailable("GANs define no likelihood: the generator is an implicit model with no density")

    def interpolate(self, z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 8, mode: str = "slerp",
                    labels: tuple[int, int] | None = None) -> torch.Tensor:
        """G along the lerp or slerp path between latents z_a and z_b ([latent_dim] each), [steps, *shape]; a
        conditional G also walks the lerp between the two ends' classes `labels` (default: class 0 at both)."""
        z_a, z_b = z_a.reshape(-1).to(self._device()), z_b.reshape(-1).to(self._device())
        y = None
        if self.conditional:
            ends = torch.tensor(labels if labels is not None else (0, 0), device=self._device())
            self.sample_labels(2, ends)  # range check
            rows = class_vector(ends, self.info.num_classes)
            y = interpolation_path(rows[0], rows[1], steps, "lerp")  # [steps, K]
        return self.generate(interpolation_path(z_a, z_b, steps, mode), y)
