"""Mode coverage of samples from a known 2-D Gaussian mixture (ring8, grid25).

Conventions of the mode-collapse literature (Srivastava et al. 2017, VEEGAN; Lin et al. 2018, PacGAN):
a sample is *high quality* when it lies within 3 standard deviations of its nearest mode centre, and it
is credited to that mode. A mode is *covered* when it is credited with at least `min_count` high-quality
samples; the default min_count=1 is VEEGAN's "captured" rule (pass e.g. 0.1 * n / M for a stricter count).
All inputs are in native coordinates (Dataset.to_native); all outputs are plain Python numbers.
"""

from __future__ import annotations

import math

import torch


def nearest_mode(samples: torch.Tensor, modes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Index [N] of each sample's nearest mode and the Euclidean distance [N] to it."""
    d = torch.cdist(samples.double(), modes.to(samples.device).double())  # [N, M]
    dist, idx = d.min(dim=1)
    return idx, dist


def high_quality_mask(samples: torch.Tensor, modes: torch.Tensor, std: float, k: float = 3.0) -> torch.Tensor:
    """Boolean [N]: the sample lies within k standard deviations of its nearest mode."""
    _, dist = nearest_mode(samples, modes)
    return dist <= k * std


def mode_counts(samples: torch.Tensor, modes: torch.Tensor, std: float, k: float = 3.0) -> torch.Tensor:
    """Number of high-quality samples credited to each mode, int64 [M]."""
    idx, dist = nearest_mode(samples, modes)
    hq = dist <= k * std
    return torch.bincount(idx[hq].cpu(), minlength=modes.shape[0])


def modes_covered(samples: torch.Tensor, modes: torch.Tensor, std: float, min_count: int = 1) -> int:
    """Number of modes credited with at least `min_count` high-quality samples."""
    return int((mode_counts(samples, modes, std) >= min_count).sum())


def high_quality_share(samples: torch.Tensor, modes: torch.Tensor, std: float) -> float:
    """Fraction of samples within 3 standard deviations of their nearest mode."""
    return float(high_quality_mask(samples, modes, std).double().mean())


def reverse_kl(samples: torch.Tensor, modes: torch.Tensor, std: float, weights: torch.Tensor | None = None,
               eps: float = 1e-10) -> float:
    """KL(p_gen || p_true) in nats between mode histograms (PacGAN, Lin et al. 2018, sec. 5.1).

    p_gen is the histogram of high-quality samples over modes, with `eps` added to every bin before
    normalising so log terms stay finite; p_true is `weights` (default uniform). Returns inf when no
    sample is high quality (no histogram exists).
    """
    counts = mode_counts(samples, modes, std).double()
    if counts.sum() == 0:
        return math.inf
    p = counts + eps
    p = p / p.sum()
    q = torch.full_like(p, 1.0 / p.numel()) if weights is None else weights.double().cpu() / weights.sum()
    # KL(p || q) = sum_k p_k log(p_k / q_k)
    return float((p * (p.log() - q.log())).sum())
