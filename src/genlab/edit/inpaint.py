"""RePaint inpainting (Lugmayr et al. 2022): known pixels from q(x_{t-1} | x_0), unknown from the reverse
step, with jumps back up the chain (resampling) so the two regions harmonise."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.samplers.base import Denoiser
from genlab.samplers.ddpm import ddpm_step
from genlab.samplers.timesteps import Callback, alpha_bar_pairs, randn_like


def repaint_schedule(n_steps: int, jump_length: int = 10, resample: int = 10) -> list[tuple[int, int]]:
    """Moves between grid positions 0 (x_T) .. n_steps (x_0): (i, i+1) a reverse step, (i, i-j) a jump back.

    As RePaint's schedule: positions n_steps - 1 - m * jump_length (m >= 0, at least jump_length from the
    start; the last is the step before x_0) each jump back jump_length positions resample - 1 times.
    """
    jumps = {p: resample - 1 for p in range(n_steps - 1, jump_length - 1, -jump_length)}
    moves, pos = [], 0
    while pos < n_steps:
        moves.append((pos, pos + 1))
        pos += 1
        if jumps.get(pos, 0) > 0:
            jumps[pos] -= 1
            moves.append((pos, pos - jump_length))
            pos -= jump_length
    return moves


@torch.no_grad()
def inpaint(
    denoiser: Denoiser,
    alpha_bar: torch.Tensor,
    x: torch.Tensor,
    mask: torch.Tensor,
    timesteps: Sequence[int],
    jump_length: int = 10,
    resample: int = 10,
    generator: torch.Generator | None = None,
    variance: str = "fixed_small",
    callback: Callback | None = None,
) -> torch.Tensor:
    """Fill the pixels of x [B, ...] where mask == 0 (mask broadcastable, 1 = known) down the grid."""
    pairs = alpha_bar_pairs(timesteps, alpha_bar)
    ab = [p[1] for p in pairs] + [1.0]  # alpha_bar at grid positions 0..K (K: clean)
    mask = mask.to(x)
    x_t = randn_like(x, generator)
    for k, (i, j) in enumerate(repaint_schedule(len(pairs), jump_length, resample)):
        if j == i + 1:
            t, ab_t, ab_prev = pairs[i]
            d = denoiser(x_t, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
            unknown = ddpm_step(
                x_t, d, ab_t, ab_prev, variance, randn_like(x, generator) if ab_prev < 1 else None
            )
            # Lugmayr et al. eq. 8a: x_{t-1}^known ~ N(sqrt(ab_{t-1}) x_0, (1 - ab_{t-1}) I)
            known = math.sqrt(ab_prev) * x + math.sqrt(1 - ab_prev) * randn_like(x, generator)
            x_t = mask * known + (1 - mask) * unknown  # eq. 8c
        else:
            # a jump back up the chain: q(x_{t+j} | x_t) = N(sqrt(ab_{t+j}/ab_t) x_t, (1 - ab_{t+j}/ab_t) I)
            ratio = ab[j] / ab[i]
            x_t = math.sqrt(ratio) * x_t + math.sqrt(1 - ratio) * randn_like(x, generator)
        if callback is not None:
            callback({"i": k, "t": int(pairs[min(j, len(pairs) - 1)][0]), "x": x_t})
    return x_t
