"""DCGAN generator and discriminator (Radford et al. 2016) for any image size, and MLP ones for 2-D points.

Images of side S that is not a power of two are generated at the next power of two P >= max(8, S) and
centre-cropped; the discriminator zero-pads its input back to P (the same for real and fake, so the
pad carries no signal). Convolutions are 4x4 with stride 2, as in DCGAN.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from genlab.nn.mlp import mlp


def _padded_side(h: int, w: int) -> int:
    """Next power of two >= max(8, h, w)."""
    return 2 ** max(3, math.ceil(math.log2(max(h, w))))


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalization (Miyato et al. 2018) on every Linear and Conv layer of `module`, in place."""
    for name, child in module.named_children():
        if isinstance(child, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            setattr(module, name, _sn(child))
        else:
            apply_spectral_norm(child)
    return module


class DCGANGenerator(nn.Module):
    """z [B, latent_dim] -> image [B, C, H, W] in [-1, 1]: 4x4, then (ConvT, BN, ReLU) x2 up, tanh."""

    def __init__(self, latent_dim: int, shape: tuple[int, int, int], width: int = 64):
        super().__init__()
        c, h, w = shape
        self.shape = (c, h, w)
        side = _padded_side(h, w)
        n_up = int(math.log2(side)) - 2  # 4 -> side
        chans = [width * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. [4w, 2w, w] for 32x32
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, chans[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(chans[0]), nn.ReLU(True)]  # [B, 4w, 4, 4]
        for i in range(n_up - 1):
            layers += [nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=False),
                       nn.BatchNorm2d(chans[i + 1]), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(chans[-1], c, 4, 2, 1), nn.Tanh()]  # [B, C, side, side]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.net(z[:, :, None, None])
        _, h, w = self.shape
        top, left = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
        return x[:, :, top:top + h, left:left + w]


class DCGANDiscriminator(nn.Module):
    """image [B, C, H, W] -> logit [B]: (Conv, LeakyReLU 0.2) x2 down to 4x4, then a 4x4 conv.

    No BatchNorm (unlike DCGAN), so gradient penalties and R1 see per-example gradients.
    """

    def __init__(self, shape: tuple[int, int, int], width: int = 64, spectral_norm: bool = False):
        super().__init__()
        c, h, w = shape
        side = _padded_side(h, w)
        top, left = (side - h) // 2, (side - w) // 2
        self.pad = (left, side - w - left, top, side - h - top)
        n_down = int(math.log2(side)) - 2  # side -> 4
        layers: list[nn.Module] = []
        cin = c
        for i in range(n_down):
            cout = width * 2 ** i
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2, True)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 4, 1, 0))  # [B, 1, 1, 1]
        self.net = nn.Sequential(*layers)
        if spectral_norm:
            apply_spectral_norm(self.net)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pad):
            x = nn.functional.pad(x, self.pad)
        return self.net(x).flatten()


class MLPGenerator(nn.Module):
    """z [B, latent_dim] -> point [B, 2] (linear output; 2-D data lives in [-1, 1] but needs no squashing)."""

    def __init__(self, latent_dim: int, out_dim: int = 2, width: int = 128, depth: int = 3):
        super().__init__()
        self.net = mlp(latent_dim, width, out_dim, depth, act=nn.ReLU)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """point [B, 2] -> logit [B], LeakyReLU(0.2) hidden layers, optional spectral norm."""

    def __init__(self, in_dim: int = 2, width: int = 128, depth: int = 3, spectral_norm: bool = False):
        super().__init__()
        self.net = mlp(in_dim, width, 1, depth, act=functools.partial(nn.LeakyReLU, 0.2))
        if spectral_norm:
            apply_spectral_norm(self.net)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()
