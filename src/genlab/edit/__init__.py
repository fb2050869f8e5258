"""Image editing with a diffusion prior: plain functions over (denoiser, alpha_bar, inputs, generator), and
the same tasks on a trained model (edit.tasks)."""

from genlab.edit.denoise import denoise
from genlab.edit.img2img import img2img
from genlab.edit.inpaint import inpaint
from genlab.edit.superres import superres

__all__ = ["denoise", "img2img", "inpaint", "superres"]
