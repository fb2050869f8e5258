"""SDE-DPM-Solver++(2M) (Lu et al. 2022, DPM-Solver++, its solver for the reverse diffusion SDE): the
multistep second-order data-prediction update of DPM-Solver++ with the noise of the reverse SDE put back.

In lambda = log(alpha / sigma), with h = lambda_t - lambda_s > 0 and D the (extrapolated) x0 prediction,
    x_t = (sigma_t / sigma_s) e^{-h} x_s + alpha_t (1 - e^{-2h}) D + sigma_t sqrt(1 - e^{-2h}) z,  z ~ N(0, I).
With D = x0_theta (first order) this is exactly a draw from the DDPM posterior q(x_t | x_s, x0_theta) on the
grid (Ho et al. eq. 7, variance beta_tilde), so the chain keeps the error correction of ancestral sampling that
the deterministic ODE solvers lack, while the 2M extrapolation of D keeps DPM-Solver++'s second order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from genlab.samplers.base import Denoiser, Sampler
from genlab.samplers.dpm_solver import alpha_sigma_lambda, multistep_x0
from genlab.samplers.timesteps import Callback, alpha_bar_pairs, randn_like


@torch.no_grad()
def sample_sde_dpm_solver(
    denoiser: Denoiser,
    x_T: torch.Tensor,
    timesteps: Sequence[int],
    alpha_bar: torch.Tensor,
    generator: torch.Generator | None = None,
    callback: Callback | None = None,
) -> torch.Tensor:
    """SDE-DPM-Solver++(2M) from x_T down the grid, ending at sigma = 0 with the x0 prediction.

    First order at the first step and at the last step onto sigma = 0, as diffusers' 'sde-dpmsolver++' does.
    """
    x = x_T
    prev_x0, prev_lam = None, None
    for i, (t, ab_t, ab_next) in enumerate(alpha_bar_pairs(timesteps, alpha_bar)):
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
        _, sigma_s, lam_s = alpha_sigma_lambda(ab_t)
        alpha_t, sigma_t, lam_t = alpha_sigma_lambda(ab_next)
        if sigma_t == 0:
            x = alpha_t * d.x0  # h -> inf: e^{-h} = 0 and no noise is left to add
        else:
            h = lam_t - lam_s
            d_hat = multistep_x0(d.x0, prev_x0, lam_s, prev_lam, h)  # the same D as the ODE solver's 2M step
            decay = math.exp(-2 * h)
            x = ((sigma_t / sigma_s) * math.exp(-h)) * x + (alpha_t * (1 - decay)) * d_hat \
                + (sigma_t * math.sqrt(1 - decay)) * randn_like(x, generator)
        prev_x0, prev_lam = d.x0, lam_s
        if callback is not None:
            callback({"i": i, "t": t, "x": x, "x0": d.x0})
    return x


SAMPLER = Sampler("sde_dpm_solver", sample_sde_dpm_solver, stochastic=True)
