"""Noise schedules of Ho et al. 2020's forward chain q(x_t|x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I).

All arrays are float64 numpy, indexed by t = 0..T-1 (the paper's t = 1..T), as in improved-diffusion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from genlab.errors import ConfigError


def linear_betas(T: int, max_beta: float = 0.999) -> np.ndarray:
    """Ho et al. 2020 linear betas 1e-4..0.02 at T=1000, scaled by 1000/T for other T (improved-diffusion).

    For T <= 20 the scaled end reaches 1 (alpha_bar_T = 0, x0 undefined), so betas are clipped at max_beta.
    """
    scale = 1000.0 / T
    return np.minimum(np.linspace(scale * 1e-4, scale * 0.02, T, dtype=np.float64), max_beta)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """Nichol & Dhariwal 2021 eq. 17: ab(t) = cos^2((t/T + s)/(1 + s) pi/2); beta_t = 1 - ab(t+1)/ab(t)."""

    def f(u: float) -> float:
        return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    betas = [min(1 - f((i + 1) / T) / f(i / T), max_beta) for i in range(T)]
    return np.array(betas, dtype=np.float64)


def make_betas(kind: str, T: int) -> np.ndarray:
    """Betas of a named schedule ('linear' or 'cosine') for T steps."""
    if T < 1:
        raise ConfigError(f"diffusion steps T must be >= 1, got {T}")
    if kind == "linear":
        return linear_betas(T)
    if kind == "cosine":
        return cosine_betas(T)
    raise ConfigError(f"unknown noise schedule '{kind}' (choose linear or cosine)")


@dataclass
class Schedule:
    """Betas and every quantity derived from them (float64, index t = 0..T-1)."""

    betas: np.ndarray
    alphas: np.ndarray = field(init=False)
    alpha_bar: np.ndarray = field(init=False)
    alpha_bar_prev: np.ndarray = field(init=False)  # alpha_bar_{t-1}, with alpha_bar_{-1} = 1
    posterior_variance: np.ndarray = field(init=False)  # beta_tilde_t, Ho et al. eq. 7
    posterior_log_variance_clipped: np.ndarray = field(
        init=False
    )  # log beta_tilde, entry 0 taken from entry 1
    posterior_mean_coef1: np.ndarray = field(init=False)  # multiplies x_0 in mu_tilde (eq. 7)
    posterior_mean_coef2: np.ndarray = field(init=False)  # multiplies x_t in mu_tilde (eq. 7)

    def __post_init__(self) -> None:
        b = np.asarray(self.betas, dtype=np.float64)
        if b.ndim != 1 or (b <= 0).any() or (b > 1).any():
            raise ConfigError("betas must be a 1-D array in (0, 1]")
        self.betas = b
        self.alphas = 1.0 - b
        self.alpha_bar = np.cumprod(self.alphas)
        self.alpha_bar_prev = np.append(1.0, self.alpha_bar[:-1])
        # Ho et al. 2020 eq. 7: beta_tilde_t = (1 - ab_{t-1}) / (1 - ab_t) * beta_t
        self.posterior_variance = b * (1.0 - self.alpha_bar_prev) / (1.0 - self.alpha_bar)
        pv = self.posterior_variance
        self.posterior_log_variance_clipped = np.log(
            np.append(pv[1], pv[1:]) if len(pv) > 1 else np.maximum(pv, 1e-20)
        )
        # eq. 7: mu_tilde = sqrt(ab_{t-1}) beta_t/(1 - ab_t) x_0 + sqrt(alpha_t)(1 - ab_{t-1})/(1 - ab_t) x_t
        self.posterior_mean_coef1 = b * np.sqrt(self.alpha_bar_prev) / (1.0 - self.alpha_bar)
        self.posterior_mean_coef2 = (
            (1.0 - self.alpha_bar_prev) * np.sqrt(self.alphas) / (1.0 - self.alpha_bar)
        )

    @property
    def T(self) -> int:
        return len(self.betas)

    @classmethod
    def named(cls, kind: str, T: int = 1000) -> Schedule:
        """The 'linear' or 'cosine' schedule with T steps."""
        return cls(make_betas(kind, T))


def respace(schedule: Schedule, use_timesteps: Sequence[int]) -> tuple[Schedule, np.ndarray]:
    """Keep only `use_timesteps` (improved-diffusion respacing): new beta_i = 1 - ab[t_i] / ab[t_{i-1}].

    Returns the respaced schedule (same alpha_bar on the kept steps) and the map new index -> original t.
    """
    kept = np.array(sorted(set(int(t) for t in use_timesteps)), dtype=np.int64)
    if len(kept) == 0 or kept[0] < 0 or kept[-1] >= schedule.T:
        raise ConfigError(f"respaced timesteps must lie in [0, {schedule.T - 1}]")
    ab = schedule.alpha_bar[kept]
    ab_prev = np.append(1.0, ab[:-1])
    return Schedule(1.0 - ab / ab_prev), kept
