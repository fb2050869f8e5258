"""What every sampler shares: the denoiser it consumes and the record that declares a sampler.

A sampler is a plain function `fn(denoiser, x_T, timesteps, alpha_bar, *, generator, callback, **options)`
over a decreasing timestep grid that ends with a jump to alpha_bar = 1. Its record names it, declares its own
options with their defaults, and says how many network evaluations a grid of `steps` points costs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import torch


class Denoised(NamedTuple):
    """A denoiser's answer for (x_t, t): eps_theta, the implied x0, and (learned variance) v in [0, 1]."""

    eps: torch.Tensor
    x0: torch.Tensor
    var_frac: torch.Tensor | None = None


Denoiser = Callable[[torch.Tensor, torch.Tensor], Denoised]


@dataclass(frozen=True)
class Sampler:
    """A registered sampler: its function, its own options (name -> default) and its cost per grid."""

    name: str
    fn: Callable[..., torch.Tensor]
    options: dict[str, object] = field(default_factory=dict)
    evals_per_step: int = 1  # network evaluations per grid point (a Heun step takes 2)
    stochastic: bool = False
    evals_saved: int = 0  # evaluations a grid saves (Heun's last step to sigma = 0 is a single Euler step)

    def nfe(self, steps: int) -> int:
        """Network evaluations of one sample on a grid of `steps` points."""
        return self.evals_per_step * int(steps) - self.evals_saved

    def __call__(self, denoiser: Denoiser, x_T: torch.Tensor, timesteps, alpha_bar: torch.Tensor, *,
                 generator=None, callback=None, **options) -> torch.Tensor:
        """Run the sampler with its declared options taken from `options` (others are ignored)."""
        own = {k: options.get(k, default) for k, default in self.options.items()}
        return self.fn(denoiser, x_T, timesteps, alpha_bar, generator=generator, callback=callback, **own)
