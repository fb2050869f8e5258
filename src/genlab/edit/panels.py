"""Report panels of diffusion's editing applications on test images (rows: input, edited)."""

from __future__ import annotations

from pathlib import Path

import torch

from genlab.data.dataset import Dataset
from genlab.edit.masks import centre_box_mask
from genlab.edit.tasks import img2img_images, inpaint_images
from genlab.errors import ConfigError, NotAvailable
from genlab.visual import save_grid


@torch.no_grad()
def save_edit_panels(model, data: Dataset, out: Path, n: int = 8) -> list[str]:
    """inpaint.png (original, masked, inpainted) and img2img.png (original, strength 0.3 / 0.6) for editing models."""
    if data.kind != "image":
        return []
    device = next(model.parameters()).device
    x = data.test[:n].to(device)
    g = torch.Generator(device).manual_seed(0)
    mask = centre_box_mask(data.info.shape, None).to(device).expand_as(x)
    written = []
    try:
        inpainted = inpaint_images(model, x, mask, g)
        save_grid(torch.cat([x, x * mask + (1 - mask) * -1, inpainted]), out / "inpaint.png", nrow=n)
        written.append("inpaint.png")
    except (NotAvailable, ConfigError):
        pass
    try:
        rows = [x] + [img2img_images(model, x, s, g) for s in (0.3, 0.6)]
        save_grid(torch.cat(rows), out / "img2img.png", nrow=n)
        written.append("img2img.png")
    except (NotAvailable, ConfigError):
        pass
    return written
