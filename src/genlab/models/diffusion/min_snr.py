"""Min-SNR-gamma loss weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy").

Written in x0-space every prediction's loss is a weighted x0 error: ||eps - eps_hat||^2 = SNR_t ||x0 - x0_hat||^2
and ||v - v_hat||^2 = (SNR_t + 1) ||x0 - x0_hat||^2, with SNR_t = alpha_bar_t / (1 - alpha_bar_t). Min-SNR-gamma
gives every step the x0-space weight min(SNR_t, gamma), i.e. it clamps the eps loss's implicit weight SNR_t at
gamma so that nearly-clean steps stop dominating the gradient. On each target's own MSE that is

    eps: min(SNR, gamma) / SNR      x0: min(SNR, gamma)      v: min(SNR, gamma) / (SNR + 1)      (paper eq. 9-10)

and as gamma -> infinity every target's weighted loss becomes Ho et al.'s L_simple (the eps MSE) of its prediction.
"""

from __future__ import annotations

import torch

from genlab.errors import ConfigError


def snr(alpha_bar: torch.Tensor) -> torch.Tensor:
    """Signal-to-noise ratio alpha_bar / (1 - alpha_bar) (Kingma et al. 2021)."""
    return alpha_bar / (1 - alpha_bar)


def min_snr_weight(alpha_bar: torch.Tensor, gamma: float, prediction: str) -> torch.Tensor:
    """The weight of each example's MSE on its `prediction` target (eps | x0 | v) at alpha_bar_t."""
    if gamma <= 0:
        raise ConfigError(f"model.min_snr_gamma must be positive (0 turns the weighting off), got {gamma}")
    s = snr(alpha_bar)
    clamped = torch.clamp(s, max=gamma)
    if prediction == "eps":
        return clamped / s
    if prediction == "x0":
        return clamped
    if prediction == "v":
        return clamped / (s + 1)
    raise ConfigError(f"min-SNR weighting: unknown prediction '{prediction}' (eps, x0, v)")
