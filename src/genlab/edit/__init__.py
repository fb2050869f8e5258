"""Image editing with a diffusion prior: plain functions over (denoiser, alpha_bar, inputs, generator)."""

from genlab.edit.denoise import denoise
from genlab.edit.img2img import img2img
from genlab.edit.inpaint import inpaint
from genlab.edit.inversion import ddim_invert, interpolate
from genlab.edit.superres import superres

__all__ = ["ddim_invert", "denoise", "img2img", "inpaint", "interpolate", "superres"]
