"""The DDPM U-Net (Ho et al. 2020, improved-diffusion layout): (x [B, C, H, W], t [B]) -> [B, out, H, W].
With `num_classes`, (x, t, y [B]) -> ...: a label embedding is added to the time embedding (improved-diffusion's
class-conditional U-Net), label num_classes being the null class of classifier-free guidance.

Residual blocks with GroupNorm + SiLU and a time-embedding scale/shift, self-attention at the lowest levels,
skip connections between mirrored levels. It knows nothing of noise schedules: t is only an input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genlab.nn.embeddings import LabelEmbedding, timestep_embedding


def _groups(ch: int) -> int:
    """GroupNorm groups: 32 as in Ho et al., fewer for narrow layers so each group keeps >= 4 channels."""
    return next(g for g in (32, 16, 8, 4, 2, 1) if ch % g == 0 and (ch // g >= 4 or g == 1))


def _zero(module: nn.Module) -> nn.Module:
    """Zero-initialise the last layer of a residual branch so each block starts as the identity."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class ResBlock(nn.Module):
    """GN-SiLU-conv, GN with a time-dependent scale and shift, SiLU-dropout-conv, plus a (1x1 conv) skip.

    The time embedding enters as GN(h) (1 + scale(t)) + shift(t) (improved-diffusion's scale-shift norm): a
    GroupNorm cannot cancel it the way it cancels a per-channel additive bias when groups are one channel.
    """

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(in_ch), in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2 = nn.GroupNorm(_groups(out_ch), out_ch)
        self.drop = nn.Dropout(dropout)
        self.conv2 = _zero(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        self.skip = nn.Identity() if in_ch == out_ch else nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb)[:, :, None, None].chunk(
            2, dim=1
        )  # emb is SiLU-activated; each [B, out, 1, 1]
        h = torch.addcmul(shift, self.norm2(h), 1 + scale)
        h = self.conv2(self.drop(F.silu(h)))
        return self.skip(x) + h


class Attention(nn.Module):
    """Multi-head self-attention over the H*W positions, residual (Ho et al. use it at 16x16)."""

    def __init__(self, ch: int, head_dim: int = 32):
        super().__init__()
        # About ch / head_dim heads, and a count that divides ch: 112 channels (width 16 at 28x28) get 2 heads of
        # 56, not 3 that would not split them.
        self.heads = max(h for h in range(1, max(1, ch // head_dim) + 1) if ch % h == 0)
        self.norm = nn.GroupNorm(_groups(ch), ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = _zero(nn.Conv2d(ch, ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        qkv = self.qkv(self.norm(x)).reshape(B, 3, self.heads, C // self.heads, H * W)
        q, k, v = qkv.transpose(-1, -2).unbind(1)  # each [B, heads, HW, C/heads]
        h = F.scaled_dot_product_attention(q, k, v)
        return x + self.proj(h.transpose(-1, -2).reshape(B, C, H, W))


class UNet(nn.Module):
    """U-Net with `len(channel_mults)` levels (a 2x down/upsampling between levels) and attention at the
    lowest `attn_levels` levels. Any H, W works without padding the input: a stride-2 conv maps an odd side n
    to (n + 1) / 2, and each upsampled map is cropped to its skip's size (28 -> 14 -> 7 -> 4 -> 7 -> 14 -> 28).

    `blocks_per_level` is one count for every level or one per level. Per level lets a small budget put its
    parameters where they are cheap: a conv costs H*W*C^2 and holds C^2 parameters, so the lowest level
    gives 16x (4x per level down) more parameters per FLOP than the one two levels above it.

    In training mode the activations run in the channels-last memory format: oneDNN's NHWC convolutions train
    these narrow layers faster on CPU (benchmark 2 measured 1.3x with the weights converted too; with only the
    activations, as here, issue 21's 600 s runs made 494-519 steps against 472). In eval mode (sampling,
    evaluation) they stay NCHW: the NHWC kernels sum in another order, so samples would change in their last bits
    (benchmark 8 measures both; benchmark 10 sets `eval_memory_format` to channels_last to measure the gain), and
    a run's samples for a seed are kept exactly as they were. The weights stay in the default format either way,
    so checkpoints and the EMA are unaffected; the output is contiguous.
    """

    train_memory_format = torch.channels_last  # torch.contiguous_format trains in NCHW (the same function)
    eval_memory_format = torch.contiguous_format  # benchmarks/sampling_ceiling.py measures channels_last here

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        channels: int = 64,
        channel_mults: tuple[int, ...] = (1, 2, 2),
        blocks_per_level: int | tuple[int, ...] = 2,
        attn_levels: int = 1,
        dropout: float = 0.0,
        num_classes: int | None = None,
    ):
        super().__init__()
        self.channels = channels
        emb_dim = 4 * channels
        self.time_mlp = nn.Sequential(nn.Linear(channels, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label_emb = LabelEmbedding(num_classes, emb_dim, null=True) if num_classes else None
        self.conv_in = nn.Conv2d(in_ch, channels, 3, padding=1)
        n = len(channel_mults)
        blocks = (blocks_per_level,) * n if isinstance(blocks_per_level, int) else tuple(blocks_per_level)
        if len(blocks) != n or min(blocks) < 1:
            raise ValueError(f"blocks_per_level: need one count >= 1 per level ({n}), got {blocks_per_level}")
        attn_at = set(range(n - attn_levels, n))
        self.down = nn.ModuleList()
        skips, ch = [channels], channels
        for i, m in enumerate(channel_mults):
            for _ in range(blocks[i]):
                self.down.append(
                    _Stage(
                        ResBlock(ch, channels * m, emb_dim, dropout),
                        Attention(channels * m) if i in attn_at else None,
                    )
                )
                ch = channels * m
                skips.append(ch)
            if i < n - 1:
                self.down.append(_Stage(down=nn.Conv2d(ch, ch, 3, stride=2, padding=1)))
                skips.append(ch)
        self.mid1 = ResBlock(ch, ch, emb_dim, dropout)
        self.mid_attn = Attention(ch)
        self.mid2 = ResBlock(ch, ch, emb_dim, dropout)
        self.up = nn.ModuleList()
        for i, m in reversed(list(enumerate(channel_mults))):
            for j in range(blocks[i] + 1):
                self.up.append(
                    _Stage(
                        ResBlock(ch + skips.pop(), channels * m, emb_dim, dropout),
                        Attention(channels * m) if i in attn_at else None,
                        up=nn.Conv2d(channels * m, channels * m, 3, padding=1)
                        if (i > 0 and j == blocks[i])
                        else None,
                    )
                )
                ch = channels * m
        self.norm_out = nn.GroupNorm(_groups(ch), ch)
        self.conv_out = _zero(nn.Conv2d(ch, out_ch, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.time_mlp(timestep_embedding(t, self.channels).to(x.dtype))  # [B, 4 ch]
        if self.label_emb is not None:  # y None: the null class
            y = torch.full_like(t, self.label_emb.num_classes, dtype=torch.long) if y is None else y
            emb = emb + self.label_emb(y).to(emb.dtype)
        emb = F.silu(emb)
        fmt = self.train_memory_format if self.training else self.eval_memory_format
        h = self.conv_in(x).contiguous(memory_format=fmt)  # after conv_in: a 1-channel x has no NHWC of its own
        hs = [h]
        for stage in self.down:
            h = stage(h, emb)
            hs.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)
        for stage in self.up:
            skip = hs.pop()
            h = stage(torch.cat([h[..., : skip.shape[-2], : skip.shape[-1]], skip], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(h))).contiguous()


class _Stage(nn.Module):
    """One U-Net step: a ResBlock (+ attention) or a strided-conv downsample, then an optional upsample."""

    def __init__(
        self,
        res: ResBlock | None = None,
        attn: Attention | None = None,
        down: nn.Module | None = None,
        up: nn.Module | None = None,
    ):
        super().__init__()
        self.res, self.attn, self.down, self.up_conv = res, attn, down, up

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.down is not None:
            return self.down(h)
        h = self.res(h, emb)
        if self.attn is not None:
            h = self.attn(h)
        if self.up_conv is not None:
            h = self.up_conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return h
