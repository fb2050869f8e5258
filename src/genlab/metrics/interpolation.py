"""Interpolation smoothness: are the frames of an interpolation evenly spaced in feature space?

For a strip of T frames with features f_0..f_{T-1}, the ideal even step is ||f_{T-1} - f_0|| / (T - 1).
Smoothness is the root-mean-square consecutive-frame distance divided by that ideal step. It is 1.0 for an
evenly spaced straight path and larger for a curved path or one that jumps: RMS >= mean step (equality
only for equal steps), and mean step >= ideal step (equality only for a straight path). The plain mean
step would score a straight path with one big jump as perfectly smooth, hence the RMS.
"""

from __future__ import annotations

import torch


def smoothness_per_strip(features: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Smoothness [S] of strips of frame features [S, T, D] (T >= 2)."""
    f = torch.as_tensor(features).double()
    f = f.reshape(f.shape[0], f.shape[1], -1)
    steps = (f[:, 1:] - f[:, :-1]).norm(dim=-1)  # [S, T-1]
    ideal = (f[:, -1] - f[:, 0]).norm(dim=-1) / steps.shape[1]  # [S]
    return steps.pow(2).mean(dim=1).sqrt() / ideal.clamp_min(eps)


def interpolation_smoothness(features: torch.Tensor) -> dict[str, float | list[float]]:
    """Mean smoothness over strips [S, T, D], and each strip's value."""
    per = smoothness_per_strip(features)
    return {"mean": float(per.mean()), "per_strip": [float(v) for v in per]}
