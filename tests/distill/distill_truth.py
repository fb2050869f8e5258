"""Independent truth for distillation tests: 1-D Gaussian data N(m, s^2), its exact denoiser, a per-timestep
affine student network (which can represent every map the tests ask it to learn), and a tiny Adam loop."""

from __future__ import annotations

import torch

from genlab.models.diffusion.schedule import Schedule
from genlab.samplers.base import Denoised

M, S = 0.7, 0.5
ALPHA_BAR = torch.as_tensor(Schedule.named("linear", 1000).alpha_bar, dtype=torch.float64)


def gaussian_teacher(alpha_bar: torch.Tensor = ALPHA_BAR, m: float = M, s: float = S):
    """The exact denoiser D(x, sigma) = m + s^2 / (s^2 + sigma^2) (x - m) in the VE variable x = x_t / sqrt(ab),
    as a VP denoiser (x_t, t) -> Denoised(eps, x0)."""
    ab_all = torch.as_tensor(alpha_bar, dtype=torch.float64)

    def denoise(x_t: torch.Tensor, t) -> Denoised:
        t = torch.as_tensor(t).reshape(-1).expand(x_t.shape[0])
        ab = ab_all[t.cpu()].to(x_t).reshape(-1, *([1] * (x_t.dim() - 1)))
        sigma2 = (1 - ab) / ab
        x = x_t / ab.sqrt()
        x0 = m + s**2 / (s**2 + sigma2) * (x - m)
        return Denoised((x_t - ab.sqrt() * x0) / (1 - ab).sqrt(), x0)

    return denoise


class AffineNet(torch.nn.Module):
    """out = a[t] x_t + b[t]: one scale and shift per timestep (float64)."""

    def __init__(self, T: int = 1000):
        super().__init__()
        self.a = torch.nn.Parameter(torch.zeros(T, dtype=torch.float64))
        self.b = torch.nn.Parameter(torch.zeros(T, dtype=torch.float64))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t).reshape(-1).expand(x_t.shape[0])
        return self.a[t].reshape(-1, 1) * x_t + self.b[t].reshape(-1, 1)


def data(n: int, generator: torch.Generator) -> torch.Tensor:
    """n draws of N(M, S^2), [n, 1] float64."""
    return M + S * torch.randn(n, 1, dtype=torch.float64, generator=generator)


def fit(loss_fn, params, steps: int, lr: float) -> float:
    """Adam on loss_fn() for `steps` steps, the learning rate decayed linearly to zero; the last loss."""
    opt = torch.optim.Adam(params, lr=lr)
    decay = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1 - i / steps)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
        decay.step()
    return float(loss.detach())
