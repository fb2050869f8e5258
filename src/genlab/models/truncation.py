"""The truncation trick: latents from N(0, I) restricted to |z_i| <= psi (Brock et al. 2019, sec. 3.1)."""

from __future__ import annotations

import torch

from genlab import rng
from genlab.errors import ConfigError

_MAX_ROUNDS = 64


def truncated_normal(shape: tuple[int, ...], psi: float, generator: rng.Generator = None,
                     device: torch.device | str | None = None,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """z ~ N(0, I) with every entry outside [-psi, psi] redrawn until all lie inside (Brock et al. 2019).

    With a per-image generator each row is drawn, and redrawn, from its own image's stream."""
    if not psi > 0:
        raise ConfigError(f"truncation psi must be > 0, got {psi}")
    return rng.per_image(lambda s, g: _truncated_normal(s, psi, g, device, dtype), tuple(shape), generator)


def _truncated_normal(shape: tuple[int, ...], psi: float, generator: torch.Generator | None,
                      device: torch.device | str | None, dtype: torch.dtype) -> torch.Tensor:
    z = torch.randn(shape, generator=generator, device=device, dtype=dtype)
    for _ in range(_MAX_ROUNDS):
        out = z.abs() > psi
        n = int(out.sum())
        if n == 0:
            return z
        z[out] = torch.randn(n, generator=generator, device=z.device, dtype=dtype)
    # Rare stragglers (tiny psi): draw them from the same truncated law by inverse CDF, which is exact.
    out = z.abs() > psi
    n = int(out.sum())
    if n:
        cdf_lo = torch.special.ndtr(torch.tensor(-psi, dtype=torch.float64))
        u = torch.rand(n, generator=generator, device=z.device, dtype=torch.float64)
        u = cdf_lo.to(z.device) + u * (1 - 2 * cdf_lo.to(z.device))
        z[out] = torch.special.ndtri(u).clamp(-psi, psi).to(dtype)
    return z
