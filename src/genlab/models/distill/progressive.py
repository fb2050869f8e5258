"""Progressive distillation (Salimans & Ho 2022, Algorithm 2): one student step matches two teacher DDIM steps.

The student samples with deterministic DDIM on a trailing grid of N steps; the teacher on the 2N-step trailing
grid, which contains the student's grid as its even points (timestep_grid's trailing spacing nests). Each round
the student becomes the next round's teacher and N halves.
"""

from __future__ import annotations

import torch

from genlab.errors import ConfigError
from genlab.models.diffusion.parameterization import gather
from genlab.samplers.base import Denoiser
from genlab.samplers.timesteps import timestep_grid


def round_schedule(start_steps: int, final_steps: int) -> list[int]:
    """The student's step counts, one per round: start_steps / 2, start_steps / 4, ..., final_steps."""
    if final_steps < 1 or start_steps <= final_steps or start_steps % final_steps:
        raise ConfigError(f"progressive distillation halves from {start_steps} steps down to {final_steps}: "
                          "start_steps must be final_steps times a power of two")
    ratio = start_steps // final_steps
    if ratio & (ratio - 1):
        raise ConfigError(f"progressive distillation: {start_steps} / {final_steps} is not a power of two")
    out, n = [], start_steps
    while n > final_steps:
        n //= 2
        out.append(n)
    return out


def ddim_to(x_t: torch.Tensor, x0: torch.Tensor, ab_t: torch.Tensor, ab_to: torch.Tensor) -> torch.Tensor:
    """Salimans & Ho 2022, Alg. 2: z' = alpha' x + (sigma' / sigma) (z - alpha x), with alpha = sqrt(ab) and
    sigma = sqrt(1 - ab) (DDIM with eta = 0, Song et al. 2021 eq. 12)."""
    return ab_to.sqrt() * x0 + ((1 - ab_to) / (1 - ab_t)).sqrt() * (x_t - ab_t.sqrt() * x0)


def progressive_targets(teacher: Denoiser, x0: torch.Tensor, student_steps: int, T: int,
                        alpha_bar: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One batch of Alg. 2: t on the student's N-step grid, z_t = alpha_t x + sigma_t eps, two teacher DDIM steps
    t -> t' -> t'' (t'' = the clean end after the last point), and the target x~ that takes z_t to z_t'' in one
    DDIM step: x~ = (z_t'' - (sigma''/sigma) z_t) / (alpha'' - (sigma''/sigma) alpha_t).
    Returns (z_t, t [B], the target x~, alpha_bar_t [B, 1, ...])."""
    grid2 = timestep_grid(T, 2 * student_steps, "trailing")  # the teacher's 2N points, decreasing
    ab_table = torch.as_tensor(alpha_bar, dtype=torch.float64)
    ab_ext = torch.cat([ab_table[grid2], torch.ones(1, dtype=torch.float64)]).to(x0.device)  # ..., then ab = 1
    t_ext = torch.as_tensor(grid2 + [0], dtype=torch.long, device=x0.device)
    i = 2 * torch.randint(0, student_steps, (x0.shape[0],), device=x0.device)  # an even index: a student point
    ab_t, ab_mid, ab_end = (gather(ab_ext, i + k, x0) for k in (0, 1, 2))
    t, t_mid = t_ext[i], t_ext[i + 1]
    z_t = ab_t.sqrt() * x0 + (1 - ab_t).sqrt() * torch.randn_like(x0)
    with torch.no_grad():
        z_mid = ddim_to(z_t, teacher(z_t, t).x0, ab_t, ab_mid)
        z_end = ddim_to(z_mid, teacher(z_mid, t_mid).x0, ab_mid, ab_end)
        ratio = ((1 - ab_end) / (1 - ab_t)).sqrt()  # sigma'' / sigma
        x_target = (z_end - ratio * z_t) / (ab_end.sqrt() - ratio * ab_t.sqrt())
    return z_t, t, x_target, ab_t


def progressive_loss(net, teacher: Denoiser, x0: torch.Tensor, student_steps: int, T: int,
                     alpha_bar: torch.Tensor, prediction: str = "v") -> torch.Tensor:
    """Alg. 2's loss for a v- or x0-predicting student network (x_t, t) -> output. v: ||v~ - v_eta||^2 with
    eps~ = (z_t - alpha x~) / sigma and v~ = alpha eps~ - sigma x~ (sec. 4, 'SNR+1' weighting of x); x0: the
    'truncated SNR' weighting max(SNR, 1) ||x~ - x_eta||^2 (sec. 4)."""
    z_t, t, x_target, ab_t = progressive_targets(teacher, x0, student_steps, T, alpha_bar)
    out = net(z_t, t)
    if prediction == "v":
        eps_target = (z_t - ab_t.sqrt() * x_target) / (1 - ab_t).sqrt()
        v_target = ab_t.sqrt() * eps_target - (1 - ab_t).sqrt() * x_target
        return ((out - v_target) ** 2).mean()
    if prediction == "x0":
        snr = ab_t / (1 - ab_t)
        return (snr.clamp_min(1.0) * (out - x_target) ** 2).mean()
    raise ConfigError(f"distilled students predict v or x0, not '{prediction}'")
