"""Inpainting masks: 1 = keep the pixel, 0 = repaint it."""

from __future__ import annotations

import torch

from genlab.errors import ConfigError


def centre_box_mask(shape: tuple[int, ...], box: str | None) -> torch.Tensor:
    """[1, 1, H, W] mask, 1 = keep, 0 inside the box (x0,y0,x1,y1) or the central half by default."""
    _, h, w = shape
    if box:
        try:
            x0, y0, x1, y1 = (int(v) for v in box.split(","))
        except ValueError:
            raise ConfigError(f"--box {box!r}: expected x0,y0,x1,y1") from None
    else:
        x0, y0, x1, y1 = w // 4, h // 4, w - w // 4, h - h // 4
    m = torch.ones(1, 1, h, w)
    m[..., y0:y1, x0:x1] = 0
    return m
