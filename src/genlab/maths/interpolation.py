"""Paths between two latent points: linear and spherical (Shoemake 1985) interpolation."""

from __future__ import annotations

import torch

from genlab.errors import ConfigError


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(1 - t) a + t b for each t: a, b [*S], t [T] -> [T, *S]."""
    t = t.to(a.dtype).reshape(-1, *([1] * a.dim()))
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation along the great arc from a to b: a, b [*S], t [T] -> [T, *S].

    Falls back to lerp when a and b are (anti)parallel to within eps, where the arc is undefined.
    """
    a_flat, b_flat = a.reshape(-1), b.reshape(-1)
    cos_omega = torch.dot(a_flat, b_flat) / (a_flat.norm() * b_flat.norm()).clamp_min(eps)
    omega = torch.arccos(cos_omega.clamp(-1.0, 1.0))
    sin_omega = torch.sin(omega)
    if sin_omega.abs() < eps:
        return lerp(a, b, t)
    t = t.to(a.dtype).reshape(-1, *([1] * a.dim()))
    # Shoemake 1985: slerp(a, b; t) = sin((1-t) omega)/sin(omega) a + sin(t omega)/sin(omega) b
    return torch.sin((1 - t) * omega) / sin_omega * a + torch.sin(t * omega) / sin_omega * b


def interpolation_path(a: torch.Tensor, b: torch.Tensor, steps: int, mode: str = "slerp") -> torch.Tensor:
    """`steps` evenly spaced points from a to b (both included) by 'lerp' or 'slerp': [steps, *S]."""
    if steps < 2:
        raise ConfigError(f"interpolation needs at least 2 steps, got {steps}")
    t = torch.linspace(0.0, 1.0, steps, device=a.device)
    if mode == "lerp":
        return lerp(a, b, t)
    if mode == "slerp":
        return slerp(a, b, t)
    raise ConfigError(f"unknown interpolation mode '{mode}' (choose from lerp, slerp)")
