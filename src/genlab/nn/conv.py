"""Small convolutional encoder/decoder for images of any size, with a flat or a spatial latent.

The image is zero-padded on the right/bottom up to a multiple of 2^(levels-1), downsampled by
stride-2 convolutions between GroupNorm/SiLU residual blocks, and the decoder mirrors it with
nearest-neighbour upsampling and crops back to the original size. A flat latent goes through one
linear layer; a spatial latent is a [z_channels, ceil(H/f), ceil(W/f)] map (f = 2^(levels-1)),
the form latent diffusion uses. The decoder upsamples either by nearest-neighbour + conv (at the coarser level's
width) or by a sub-pixel conv (Shi et al. 2016): a conv at the coarse resolution to 4x the finer level's width,
then PixelShuffle(2). Same FLOPs as a conv at the fine resolution with the finer width, but CPUs run it ~1.8x
faster per VAE training step on 28x28 (no upsampled copy, wider convs on fewer pixels).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _norm(ch: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(8, ch), ch)


class ResBlock(nn.Module):
    """x + conv(SiLU(GN(conv(SiLU(GN(x)))))), with a 1x1 skip when the width changes."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.body = nn.Sequential(_norm(in_ch), nn.SiLU(), nn.Conv2d(in_ch, out_ch, 3, padding=1),
                                  _norm(out_ch), nn.SiLU(), nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Identity() if in_ch == out_ch else nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.body(x)


def latent_grid(height: int, width: int, channel_mult: tuple[int, ...]) -> tuple[int, int]:
    """Spatial size (h, w) of the innermost feature map: ceil of the image size over 2^(levels-1)."""
    f = 2 ** (len(channel_mult) - 1)
    return -(-height // f), -(-width // f)


class ConvEncoder(nn.Module):
    """[B, C, H, W] -> [B, 2*latent_dim] (flat) or [B, 2*z_channels, h, w] (spatial): mean, log-variance."""

    def __init__(self, in_channels: int, size: tuple[int, int], latent_dim: int = 32, channels: int = 32,
                 channel_mult: tuple[int, ...] = (1, 2, 2), spatial: bool = False, z_channels: int = 4):
        super().__init__()
        self.size = size
        self.factor = 2 ** (len(channel_mult) - 1)
        self.spatial = spatial
        widths = [channels * m for m in channel_mult]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 3, padding=1)]
        prev = widths[0]
        for i, w in enumerate(widths):
            layers.append(ResBlock(prev, w))
            prev = w
            if i < len(widths) - 1:
                layers.append(nn.Conv2d(w, w, 3, stride=2, padding=1))
        layers += [_norm(widths[-1]), nn.SiLU()]
        self.body = nn.Sequential(*layers)
        h, w = latent_grid(*size, channel_mult)
        if spatial:
            self.head: nn.Module = nn.Conv2d(widths[-1], 2 * z_channels, 3, padding=1)
        else:
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(widths[-1] * h * w, 2 * latent_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[-2:]
        pad_h, pad_w = (-H) % self.factor, (-W) % self.factor
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return self.head(self.body(x))


def subpixel_upsample(in_ch: int, out_ch: int) -> nn.Sequential:
    """[B, in_ch, h, w] -> [B, out_ch, 2h, 2w]: conv to 4*out_ch channels, then PixelShuffle(2) (Shi et al. 2016).

    ICNR initialisation (Aitken et al. 2017): the four sub-pixel kernels of each output channel start equal, so the
    layer starts as a conv followed by nearest-neighbour upsampling, free of checkerboard artefacts.
    """
    conv = nn.Conv2d(in_ch, 4 * out_ch, 3, padding=1)
    with torch.no_grad():
        # PixelShuffle reads channel c*4 + k as sub-pixel k of output channel c
        conv.weight.copy_(conv.weight[::4].repeat_interleave(4, dim=0))
        conv.bias.copy_(conv.bias[::4].repeat_interleave(4, dim=0))
    return nn.Sequential(conv, nn.PixelShuffle(2))


UPSAMPLING = ("nearest", "subpixel")


class ConvDecoder(nn.Module):
    """[B, latent_dim] or [B, z_channels, h, w] -> [B, out_channels, H, W] (likelihood parameters)."""

    def __init__(self, out_channels: int, size: tuple[int, int], latent_dim: int = 32, channels: int = 32,
                 channel_mult: tuple[int, ...] = (1, 2, 2), spatial: bool = False, z_channels: int = 4,
                 upsample: str = "nearest"):
        super().__init__()
        if upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {UPSAMPLING}, got {upsample!r}")
        self.size = size
        self.grid = latent_grid(*size, channel_mult)
        widths = [channels * m for m in reversed(channel_mult)]
        self.spatial = spatial
        h, w = self.grid
        if spatial:
            self.stem: nn.Module = nn.Conv2d(z_channels, widths[0], 3, padding=1)
        else:
            self.stem = nn.Sequential(nn.Linear(latent_dim, widths[0] * h * w),
                                      nn.Unflatten(1, (widths[0], h, w)))
        layers: list[nn.Module] = []
        prev = widths[0]
        for i, w_ in enumerate(widths):
            layers.append(ResBlock(prev, w_))
            prev = w_
            if i < len(widths) - 1 and upsample == "subpixel":
                layers.append(subpixel_upsample(w_, widths[i + 1]))  # already the finer level's width
                prev = widths[i + 1]
            elif i < len(widths) - 1:
                layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(w_, w_, 3, padding=1)]
        layers += [_norm(prev), nn.SiLU(), nn.Conv2d(prev, out_channels, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        H, W = self.size
        return self.body(self.stem(z))[..., :H, :W]
