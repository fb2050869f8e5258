"""DCGAN generator and discriminator (Radford et al. 2016) for any image size, and MLP ones for 2-D points.

Images of side S that is not a power of two are generated at the next power of two P >= max(8, S) and
centre-cropped; the discriminator zero-pads its input back to P (the same for real and fake, so the
pad carries no signal). Convolutions are 4x4 with stride 2, as in DCGAN.

With `num_classes` the networks are class-conditional. The DCGAN generator's batch norms become conditional batch
norms (de Vries et al. 2017, as in Miyato & Koyama 2018 and BigGAN): a per-class gain and bias after a shared
normalisation, so z stays the generator's only input (z concatenated with a class embedding let G ignore z on digits:
one image per class). The 2-D generator reads z with a class embedding (Mirza & Osindero 2014). The discriminator is
a projection discriminator (Miyato & Koyama 2018, eq. 3): D(x, y) = psi(phi(x)) + embed(y) . phi(x), phi(x) the
input of D's last linear layer psi: the whole 4x4 feature map for the DCGAN D (its last layer is a 4x4 conv over it;
Miyato & Koyama's ResNet D pools first, but one conv layer's pooled features cannot see where a stroke is), the last
hidden layer for the 2-D D.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

from genlab.nn.embeddings import LabelEmbedding
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


def _with_class(z: torch.Tensor, embed: LabelEmbedding | None, y: torch.Tensor | None) -> torch.Tensor:
    """z, or [z, embed(y)] for a conditional generator ([B, latent_dim (+ latent_dim)])."""
    if embed is None:
        return z
    if y is None:
        raise ValueError("a class-conditional generator needs labels y")
    return torch.cat([z, embed(y).to(z.dtype)], dim=1)


def _projection(logit: torch.Tensor, phi: torch.Tensor, embed: LabelEmbedding | None,
                y: torch.Tensor | None) -> torch.Tensor:
    """Miyato & Koyama 2018, eq. 3: logit + <embed(y), phi(x)>, phi [B, C] (the unconditional logit without embed)."""
    if embed is None:
        return logit
    if y is None:
        raise ValueError("a projection discriminator needs labels y")
    return logit + (embed(y).to(phi.dtype) * phi).sum(dim=1)


class ClassBatchNorm2d(nn.Module):
    """Conditional batch norm: BN without affine, then gain_y * x + bias_y (gains start at 1, biases at 0); labels
    [B] or class rows [B, K] (a mix of the classes' gains and biases)."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain, self.bias = LabelEmbedding(num_classes, channels), LabelEmbedding(num_classes, channels)
        nn.init.ones_(self.gain.table.weight)
        nn.init.zeros_(self.bias.table.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        g, b = self.gain(y).to(x.dtype), self.bias(y).to(x.dtype)
        return self.bn(x) * g[:, :, None, None] + b[:, :, None, None]


class DCGANGenerator(nn.Module):
    """z [B, latent_dim] -> image [B, C, H, W] in [-1, 1]: 4x4, then (ConvT, BN, ReLU) x2 up, tanh; with
    `num_classes`, G(z, y) with conditional batch norms."""

    def __init__(self, latent_dim: int, shape: tuple[int, int, int], width: int = 64,
                 num_classes: int | None = None):
        super().__init__()
        c, h, w = shape
        self.shape = (c, h, w)
        side = _padded_side(h, w)
        n_up = int(math.log2(side)) - 2  # 4 -> side
        chans = [width * 2 ** (n_up - 1 - i) for i in range(n_up)]  # e.g. [4w, 2w, w] for 32x32
        self.conditional = bool(num_classes)

        def norm(ch: int) -> nn.Module:
            return ClassBatchNorm2d(ch, num_classes) if num_classes else nn.BatchNorm2d(ch)

        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, chans[0], 4, 1, 0, bias=False),
                                   norm(chans[0]), nn.ReLU(True)]  # [B, 4w, 4, 4]
        for i in range(n_up - 1):
            layers += [nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=False),
                       norm(chans[i + 1]), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(chans[-1], c, 4, 2, 1), nn.Tanh()]  # [B, C, side, side]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        x = z[:, :, None, None]
        if not self.conditional:
            x = self.net(x)
        elif y is None:
            raise ValueError("a class-conditional generator needs labels y")
        else:
            for layer in self.net:
                x = layer(x, y) if isinstance(layer, ClassBatchNorm2d) else layer(x)
        _, h, w = self.shape
        top, left = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
        return x[:, :, top:top + h, left:left + w]


class DCGANDiscriminator(nn.Module):
    """image [B, C, H, W] -> logit [B]: (Conv, LeakyReLU 0.2) x2 down to 4x4, then a 4x4 conv.

    No BatchNorm (unlike DCGAN), so gradient penalties and R1 see per-example gradients.
    """

    def __init__(self, shape: tuple[int, int, int], width: int = 64, spectral_norm: bool = False,
                 num_classes: int | None = None):
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
        self.embed = _class_embedding(num_classes, cin * 4 * 4, spectral_norm)  # phi: the [C, 4, 4] map
        if spectral_norm:
            apply_spectral_norm(self.net)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if any(self.pad):
            x = nn.functional.pad(x, self.pad)
        if self.embed is None:
            return self.net(x).flatten()
        h = self.net[:-1](x)  # [B, C, 4, 4]
        return _projection(self.net[-1](h).flatten(), h.flatten(1), self.embed, y)


class MLPGenerator(nn.Module):
    """z [B, latent_dim] -> point [B, 2] (linear output; 2-D data lives in [-1, 1] but needs no squashing)."""

    def __init__(self, latent_dim: int, out_dim: int = 2, width: int = 128, depth: int = 3,
                 num_classes: int | None = None):
        super().__init__()
        self.embed = LabelEmbedding(num_classes, latent_dim) if num_classes else None
        self.net = mlp(latent_dim * (2 if num_classes else 1), width, out_dim, depth, act=nn.ReLU)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(_with_class(z, self.embed, y))


class MLPDiscriminator(nn.Module):
    """point [B, 2] -> logit [B], LeakyReLU(0.2) hidden layers, optional spectral norm."""

    def __init__(self, in_dim: int = 2, width: int = 128, depth: int = 3, spectral_norm: bool = False,
                 num_classes: int | None = None):
        super().__init__()
        self.net = mlp(in_dim, width, 1, depth, act=functools.partial(nn.LeakyReLU, 0.2))
        self.embed = _class_embedding(num_classes, width if depth > 0 else in_dim, spectral_norm)
        if spectral_norm:
            apply_spectral_norm(self.net)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is None:
            return self.net(x).flatten()
        h = self.net[:-1](x)  # [B, width]
        return _projection(self.net[-1](h).flatten(), h, self.embed, y)


def _class_embedding(num_classes: int | None, dim: int, spectral_norm: bool) -> LabelEmbedding | None:
    """The projection discriminator's class embedding V (spectrally normalised with the rest of D, as in Miyato &
    Koyama 2018), or None for an unconditional D."""
    if not num_classes:
        return None
    embed = LabelEmbedding(num_classes, dim)
    if spectral_norm:
        embed.table = _sn(embed.table)
    return embed
