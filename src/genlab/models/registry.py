"""The family registry: name -> (model class, config dataclass), and building a model from a run config.
Imports are lazy so `genlab --help` stays fast. The one list of families trained from data: FAMILY_NAMES; the
families derived from another run (distilled students): DERIVED."""

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


def _distilled():
    from genlab.models.distill.student import Distilled, DistilledConfig

    return Distilled, DistilledConfig


FAMILIES: dict[str, Callable[[], tuple[type, type]]] = {"vae": _vae, "gan": _gan, "ddpm": _ddpm, "ldm": _ldm,
                                                        "distilled": _distilled}
FAMILY_NAMES: tuple[str, ...] = ("vae", "gan", "ddpm", "ldm")  # the families trained from data (train, compare)
DERIVED: tuple[str, ...] = ("distilled",)  # families made from another run (genlab distill), not from data alone
DISTILLABLE: tuple[str, ...] = ("ddpm", "ldm")  # the families a student can be distilled from
IMAGE_ONLY = ("ldm",)  # families that need image data (a spatial latent)


def get_family(name: str) -> tuple[type, type]:
    """(model class, config class) of a family, or a ConfigError naming the choices."""
    if name not in FAMILIES:
        raise ConfigError(f"unknown model family '{name}' (choose from {', '.join(FAMILIES)})")
    return FAMILIES[name]()


def families_for(kind: str) -> tuple[str, ...]:
    """Every family that fits data of this kind ('image' or 'points')."""
    return tuple(f for f in FAMILY_NAMES if kind == "image" or f not in IMAGE_ONLY)


def build_model(cfg, info):
    """The model of a RunConfig-like `cfg` (its .family and .model) for data described by `info`."""
    model_cls, _ = get_family(cfg.family)
    try:
        return model_cls(cfg.model, info)
    except ValueError as e:  # a network refusing an option's value (a dropout of -1, a negative block count)
        raise ConfigError(f"{cfg.family}: invalid model option ({' '.join(str(e).split())[:200]})") from None
