"""Family name -> (model class, config dataclass). Imports are lazy so `genlab --help` stays fast."""

from __future__ import annotations

from collections.abc import Callable

from genlab.errors import ConfigError


def _vae():
    from genlab.models.vae import VAE, VAEConfig

    return VAE, VAEConfig


def _gan():
    from genlab.models.gan import GAN, GANConfig

    return GAN, GANConfig


def _ddpm():
    from genlab.models.diffusion.model import DDPM, DDPMConfig

    return DDPM, DDPMConfig


def _ldm():
    from genlab.models.latent_diffusion import LDM, LDMConfig

    return LDM, LDMConfig


FAMILIES: dict[str, Callable[[], tuple[type, type]]] = {"vae": _vae, "gan": _gan, "ddpm": _ddpm, "ldm": _ldm}


def get_family(name: str) -> tuple[type, type]:
    """(model class, config class) of a family, or a ConfigError naming the choices."""
    if name not in FAMILIES:
        raise ConfigError(f"unknown model family '{name}' (choose from {', '.join(FAMILIES)})")
    return FAMILIES[name]()
