"""Diffusion's editing tasks on a trained model. Edits sit above the models: they take a DDPM's denoiser,
schedule and sampling grid, and for latent diffusion its encoder and decoder, and run the plain functions
of this package (RePaint, SDEdit, denoising, ILVR). A conditional model's edits take `labels` [B] (the class each
edited image should have; None: the null class) and a guidance weight, through the model's denoiser."""

from __future__ import annotations

import torch

from genlab.edit.denoise import denoise
from genlab.edit.img2img import img2img
from genlab.edit.inpaint import inpaint
from genlab.edit.superres import superres
from genlab.errors import ConfigError, NotAvailable
from genlab.models.diffusion.model import DDPM
from genlab.models.latent_diffusion import LDM

TASKS = ("inpaint", "img2img", "denoise", "superres")


def pixel_ddpm(model, task: str) -> DDPM:
    """The model itself when it diffuses pixels; tasks that constrain pixels cannot run on a latent model."""
    if isinstance(model, LDM):
        raise NotAvailable(f"ldm: '{task}' constrains pixels, which do not map exactly onto the latent; "
                           "only img2img is available (use a ddpm run for inpaint, denoise, superres)")
    if not isinstance(model, DDPM) or model.info.kind != "image":
        raise ConfigError(f"editing needs an image diffusion run (ddpm or ldm), not {model.family}")
    return model


@torch.no_grad()
def inpaint_images(model, x: torch.Tensor, mask: torch.Tensor, generator=None, steps: int | None = None,
                   jump_length: int = 10, resample: int = 10, labels=None, guidance: float = 0.0) -> torch.Tensor:
    """RePaint (mask 1 = keep) on images x [B, C, H, W] in [-1, 1]."""
    m = pixel_ddpm(model, "inpaint")
    out = inpaint(m.denoiser(labels=labels, guidance=guidance), m.process.alpha_bar, x, mask, m.sampling_grid(steps),
                  jump_length, resample, generator, m.process.variance)
    return out.clamp(-1, 1)


@torch.no_grad()
def img2img_images(model, x: torch.Tensor, strength: float = 0.5, generator=None,
                   steps: int | None = None, labels=None, guidance: float = 0.0) -> torch.Tensor:
    """SDEdit at `strength` with DDIM (the model's eta); latent diffusion edits the scaled latent of x."""
    if isinstance(model, LDM):
        d = model.diffusion
        u = img2img(d.denoiser(clip_x0=False, labels=labels, guidance=guidance), d.process.alpha_bar, model.encode(x),
                    strength, int(steps or d.config.steps), generator, "ddim", eta=d.config.eta)
        return model.decode(u)
    m = pixel_ddpm(model, "img2img")
    out = img2img(m.denoiser(labels=labels, guidance=guidance), m.process.alpha_bar, x, strength,
                  int(steps or m.config.steps), generator, "ddim", eta=m.config.eta)
    return out.clamp(-1, 1)


@torch.no_grad()
def denoise_images(model, x: torch.Tensor, sigma: float = 0.1, generator=None,
                   steps: int | None = None, labels=None, guidance: float = 0.0) -> torch.Tensor:
    """Remove Gaussian noise of std sigma by the ancestral chain from the matching step (all steps by default)."""
    m = pixel_ddpm(model, "denoise")
    out = denoise(m.denoiser(labels=labels, guidance=guidance), m.process.alpha_bar, x, sigma, steps, generator, "ddpm",
                  variance=m.process.variance)
    return out.clamp(-1, 1)


@torch.no_grad()
def superres_images(model, x_low: torch.Tensor, factor: int = 2, generator=None,
                    steps: int | None = None, labels=None, guidance: float = 0.0) -> torch.Tensor:
    """ILVR super-resolution of low-resolution images x_low by `factor`."""
    m = pixel_ddpm(model, "superres")
    out = superres(m.denoiser(labels=labels, guidance=guidance), m.process.alpha_bar, x_low, factor,
                   m.sampling_grid(steps), generator, m.process.variance)
    return out.clamp(-1, 1)


EDITS = {"inpaint": inpaint_images, "img2img": img2img_images, "denoise": denoise_images,
         "superres": superres_images}


def apply_edit(model, task: str, x: torch.Tensor, generator=None, **options) -> torch.Tensor:
    """Run editing task `task` (one of TASKS) with its own keyword options."""
    if task not in EDITS:
        raise ConfigError(f"unknown edit task '{task}' (choose from {', '.join(TASKS)})")
    return EDITS[task](model, x, generator=generator, **options)
