"""Consistency distillation (Song et al. 2023, Algorithm 2) from a discrete-time VP teacher.

Everything here works in the variance-exploding view of the teacher's chain: x = x_t / sqrt(ab_t) at noise
level sigma_t = sqrt((1 - ab_t) / ab_t), where the probability-flow ODE is dx/dsigma = (x - D(x, sigma)) / sigma
(Karras et al. 2022, eq. 3 with s = 1). The noise levels are Karras et al.'s N-point grid between the
teacher's sigma_min and sigma_max, snapped to the teacher's own timesteps so that every network (teacher and
student) is only ever asked about timesteps it was built for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from genlab.errors import ConfigError
from genlab.models.diffusion.parameterization import OnDevice, eps_from_x0, gather
from genlab.samplers.base import Denoised, Denoiser

Net = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sigmas_of(alpha_bar: torch.Tensor) -> torch.Tensor:
    """sigma_t = sqrt((1 - ab_t) / ab_t) for every timestep, float64 [T] on the CPU."""
    ab = torch.as_tensor(alpha_bar, dtype=torch.float64, device="cpu")
    return ((1 - ab) / ab).sqrt()


def karras_timesteps(alpha_bar: torch.Tensor, N: int = 18, rho: float = 7.0) -> list[int]:
    """Increasing teacher timesteps nearest to Karras et al. 2022 eq. 5's N levels
    sigma_i = (sigma_min^(1/rho) + i/(N-1) (sigma_max^(1/rho) - sigma_min^(1/rho)))^rho, i = 0..N-1;
    t = 0 and t = T-1 are always the two ends; levels that snap to the same timestep count once. (numpy: the grid
    is also computed while a model is built on the meta device.)"""
    if N < 2:
        raise ConfigError(f"consistency distillation needs N >= 2 noise levels, got {N}")
    s = sigmas_of(alpha_bar).numpy()
    lo, hi = s[0] ** (1 / rho), s[-1] ** (1 / rho)
    levels = (lo + np.arange(N) / (N - 1) * (hi - lo)) ** rho
    return sorted({int(np.abs(s - level).argmin()) for level in levels} | {0, len(s) - 1})


def boundary_coefficients(sigma: torch.Tensor, sigma_min: float,
                          sigma_data: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Song et al. 2023, Appendix C: c_skip = sigma_data^2 / ((sigma - sigma_min)^2 + sigma_data^2) and
    c_out = sigma_data (sigma - sigma_min) / sqrt(sigma_data^2 + sigma^2); so c_skip(sigma_min) = 1, c_out = 0."""
    c_skip = sigma_data**2 / ((sigma - sigma_min) ** 2 + sigma_data**2)
    c_out = sigma_data * (sigma - sigma_min) / (sigma_data**2 + sigma**2).sqrt()
    return c_skip, c_out


def consistency_denoiser(net: Net, alpha_bar: torch.Tensor, prediction: str = "v",
                         sigma_data: float = 1.0) -> Denoiser:
    """The consistency function as a denoiser (x_t, t) -> Denoised(eps, x0 = f(x, sigma_t)).

    Song et al. 2023 eq. 3: f(x, sigma) = c_skip(sigma) x + c_out(sigma) F(x, sigma), with x = x_t / sqrt(ab_t).
    F is the network read through EDM's preconditioning at sigma_data (Karras et al. 2022, Table 1): the network
    sees c_in x = x_t, and a v-network's F is -v exactly when sigma_data = 1 (Salimans & Ho's x0 = sqrt(ab) x_t -
    sqrt(1 - ab) v), so a student copied from a v-teacher starts at the teacher's denoiser. An x0-network's F is
    (x0 - c_skip_edm x) / c_out_edm. f(x, sigma_min) = x holds exactly for any network.
    """
    if prediction not in ("v", "x0"):
        raise ConfigError(f"distilled students predict v or x0, not '{prediction}'")
    table = OnDevice(alpha_bar)
    sigma_min = float(sigmas_of(alpha_bar)[0])

    def f(x_t: torch.Tensor, t: torch.Tensor | int) -> Denoised:
        t_b = torch.as_tensor(t, dtype=torch.long, device=x_t.device).reshape(-1).expand(x_t.shape[0])
        ab = gather(table.on(x_t.device), t_b, x_t)  # [B, 1, ...]
        sigma = ((1 - ab) / ab).sqrt()
        x = x_t / ab.sqrt()  # the VE variable
        out = net(x_t, t_b)
        if prediction == "v":
            F = -out
        else:  # Karras et al. Table 1: D = c_skip_edm x + c_out_edm F
            c_skip_edm = sigma_data**2 / (sigma**2 + sigma_data**2)
            c_out_edm = sigma * sigma_data / (sigma**2 + sigma_data**2).sqrt()
            F = (out - c_skip_edm * x) / c_out_edm
        c_skip, c_out = boundary_coefficients(sigma, sigma_min, sigma_data)
        x0 = c_skip * x + c_out * F
        return Denoised(eps_from_x0(x_t, x0, ab), x0)

    return f


def ve_denoise(denoiser: Denoiser, x: torch.Tensor, t: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """D(x, sigma_t) of a VP denoiser at the VE point x: its x0 at x_t = sqrt(ab_t) x."""
    return denoiser(ab.sqrt() * x, t).x0


def heun_step(teacher: Denoiser, x: torch.Tensor, t_from: torch.Tensor, t_to: torch.Tensor,
              ab_from: torch.Tensor, ab_to: torch.Tensor, solver: str = "heun") -> torch.Tensor:
    """One step of the probability-flow ODE from sigma(t_from) down to sigma(t_to) with the teacher's denoiser:
    Euler d = (x - D(x, sigma)) / sigma, x' = x + (sigma' - sigma) d; Heun averages d with d' at x' (Karras et al.
    2022, Alg. 1; Song et al. 2023 use it as the ODE solver Phi)."""
    s_from, s_to = ((1 - ab_from) / ab_from).sqrt(), ((1 - ab_to) / ab_to).sqrt()
    d = (x - ve_denoise(teacher, x, t_from, ab_from)) / s_from
    x_euler = x + (s_to - s_from) * d
    if solver == "euler":
        return x_euler
    d_next = (x_euler - ve_denoise(teacher, x_euler, t_to, ab_to)) / s_to
    return x + (s_to - s_from) * (d + d_next) / 2


def consistency_loss(student: Denoiser, target: Denoiser, teacher: Denoiser, x0: torch.Tensor,
                     timesteps: list[int], alpha_bar: torch.Tensor, solver: str = "heun") -> torch.Tensor:
    """Song et al. 2023, Alg. 2, one batch: n ~ U{1..N-1}, x_{n+1} = x + sigma_{n+1} z, x_hat_n the teacher's ODE
    step to sigma_n, loss = lambda ||f_theta(x_{n+1}, sigma_{n+1}) - f_theta-(x_hat_n, sigma_n)||^2, lambda = 1
    (mean over elements). `timesteps`: the increasing grid of karras_timesteps."""
    grid = torch.as_tensor(timesteps, dtype=torch.long, device=x0.device)
    n = torch.randint(0, len(timesteps) - 1, (x0.shape[0],), device=x0.device)
    t_n, t_next = grid[n], grid[n + 1]
    ab_table = torch.as_tensor(alpha_bar, dtype=torch.float64).to(x0.device)
    ab_n, ab_next = gather(ab_table, t_n, x0), gather(ab_table, t_next, x0)
    x_next = x0 + ((1 - ab_next) / ab_next).sqrt() * torch.randn_like(x0)  # the VE point at sigma_{n+1}
    with torch.no_grad():
        x_hat = heun_step(teacher, x_next, t_next, t_n, ab_next, ab_n, solver)
        f_target = ve_denoise(target, x_hat, t_n, ab_n)
    f_student = ve_denoise(student, x_next, t_next, ab_next)
    return ((f_student - f_target) ** 2).mean()


@torch.no_grad()
def update_target(target: torch.nn.Module, online: torch.nn.Module, mu: float) -> None:
    """Song et al. 2023, Alg. 2: theta- <- stopgrad(mu theta- + (1 - mu) theta)."""
    for p_target, p in zip(target.parameters(), online.parameters(), strict=True):
        p_target.lerp_(p.detach(), 1.0 - mu)
    for b_target, b in zip(target.buffers(), online.buffers(), strict=True):
        b_target.copy_(b)
