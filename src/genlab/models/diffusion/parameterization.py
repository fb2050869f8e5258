"""eps / x0 / v predictions and the denoiser callable that every sampler consumes.

With x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps (Ho et al. 2020 eq. 4) and v = sqrt(ab) eps - sqrt(1 - ab) x_0
(Salimans & Ho 2022 sec. 4), any one prediction and x_t determine the other two.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from genlab.errors import ConfigError
from genlab.samplers.base import Denoised, Denoiser

PREDICTIONS = ("eps", "x0", "v")


def x0_from_eps(x_t: torch.Tensor, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Ho et al. eq. 4 solved for x_0: (x_t - sqrt(1 - ab) eps) / sqrt(ab)."""
    return (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()


def eps_from_x0(x_t: torch.Tensor, x0: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Ho et al. eq. 4 solved for eps: (x_t - sqrt(ab) x_0) / sqrt(1 - ab)."""
    return (x_t - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()


def v_from_eps_x0(eps: torch.Tensor, x0: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Salimans & Ho 2022: v = sqrt(ab) eps - sqrt(1 - ab) x_0."""
    return alpha_bar.sqrt() * eps - (1 - alpha_bar).sqrt() * x0


def x0_from_v(x_t: torch.Tensor, v: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Salimans & Ho 2022: x_0 = sqrt(ab) x_t - sqrt(1 - ab) v."""
    return alpha_bar.sqrt() * x_t - (1 - alpha_bar).sqrt() * v


def eps_from_v(x_t: torch.Tensor, v: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """Salimans & Ho 2022: eps = sqrt(1 - ab) x_t + sqrt(ab) v."""
    return (1 - alpha_bar).sqrt() * x_t + alpha_bar.sqrt() * v


def to_eps_x0(
    pred: torch.Tensor, x_t: torch.Tensor, alpha_bar: torch.Tensor, prediction: str, clip_x0: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """(eps, x0) from an 'eps', 'x0' or 'v' prediction; clip_x0 clamps x0 to [-1, 1] and re-derives eps."""
    if prediction == "eps":
        eps, x0 = pred, x0_from_eps(x_t, pred, alpha_bar)
    elif prediction == "x0":
        eps, x0 = eps_from_x0(x_t, pred, alpha_bar), pred
    elif prediction == "v":
        eps, x0 = eps_from_v(x_t, pred, alpha_bar), x0_from_v(x_t, pred, alpha_bar)
    else:
        raise ConfigError(f"unknown prediction '{prediction}' (choose from {', '.join(PREDICTIONS)})")
    if clip_x0:
        x0 = x0.clamp(-1, 1)
        eps = eps_from_x0(x_t, x0, alpha_bar)
    return eps, x0


def target_for(prediction: str, x0: torch.Tensor, eps: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    """The regression target of the simple loss for a prediction type."""
    if prediction == "eps":
        return eps
    if prediction == "x0":
        return x0
    if prediction == "v":
        return v_from_eps_x0(eps, x0, alpha_bar)
    raise ConfigError(f"unknown prediction '{prediction}' (choose from {', '.join(PREDICTIONS)})")


def gather(values: torch.Tensor, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
    """values[t] as [B, 1, ...] in `like`'s dtype and device; t is indexed on values' device."""
    t = torch.as_tensor(t, dtype=torch.long, device=values.device).reshape(-1)
    v = values[t].to(device=like.device, dtype=like.dtype)
    if v.numel() == 1:
        v = v.expand(like.shape[0])
    return v.reshape(-1, *([1] * (like.dim() - 1)))


class OnDevice:
    """A float64 table copied once to each device it is used on (no host round trip per sampling step)."""

    def __init__(self, values: torch.Tensor):
        self.values = torch.as_tensor(values, dtype=torch.float64, device="cpu")
        self._copies: dict[torch.device, torch.Tensor] = {}

    def on(self, device: torch.device) -> torch.Tensor:
        if device not in self._copies:
            self._copies[device] = self.values.to(device)
        return self._copies[device]


def guided_output(net: Callable[..., torch.Tensor], x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor,
                  null_label: int, guidance: float, learned_variance: bool = False) -> torch.Tensor:
    """A conditional network's output at (x_t, t, y) [B], with classifier-free guidance of weight w when w != 0.

    Ho & Salimans 2022, eq. 6: eps~ = (1 + w) eps(x_t, y) - w eps(x_t, null). Applied to the raw output: eps, x0
    and v are affine in each other at fixed (x_t, t) and the weights sum to one, so guiding any of them is the
    same. A learned variance is taken from the conditional pass. Labels -1 mean the null class.
    """
    y = torch.where(y < 0, torch.full_like(y, null_label), y)
    if guidance == 0:
        return net(x_t, t, y)
    both = net(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([y, torch.full_like(y, null_label)]))
    cond, uncond = both.chunk(2)  # one batch of 2B: the network treats examples independently
    if learned_variance:
        (c, v), (u, _) = cond.chunk(2, dim=1), uncond.chunk(2, dim=1)
        return torch.cat([(1 + guidance) * c - guidance * u, v], dim=1)
    return (1 + guidance) * cond - guidance * uncond


def make_denoiser(
    net: Callable[..., torch.Tensor],
    alpha_bar: torch.Tensor,
    prediction: str = "eps",
    learned_variance: bool = False,
    clip_x0: bool = False,
    labels: torch.Tensor | None = None,
    guidance: float = 0.0,
    null_label: int | None = None,
) -> Denoiser:
    """Wrap a network (x_t, t) -> output into a denoiser (x_t, t) -> Denoised; t is an int or int tensor [B].

    With learned_variance the network's channels are [prediction, v] (Nichol & Dhariwal 2021 eq. 15) and
    var_frac = (v + 1) / 2 interpolates log beta_t and log beta_tilde_t of whatever grid the sampler uses.
    A conditional network (null_label set: its null class) is called as net(x_t, t, y) with `labels` [B] (None:
    the null class, i.e. unconditional) and classifier-free guidance of weight `guidance` (guided_output), so
    every sampler and edit gets labels and guidance through this one callable.
    """
    table = OnDevice(alpha_bar)
    if null_label is None and (labels is not None or guidance != 0):
        raise ConfigError("labels and guidance need a class-conditional diffusion model (train with --conditional)")

    def denoise(x_t: torch.Tensor, t: torch.Tensor | int) -> Denoised:
        t_b = torch.as_tensor(t, dtype=torch.long, device=x_t.device).reshape(-1).expand(x_t.shape[0])
        if null_label is None:
            out = net(x_t, t_b)
        else:
            y = torch.full_like(t_b, null_label) if labels is None else labels.to(x_t.device).reshape(-1)
            if len(y) != x_t.shape[0]:
                raise ValueError(f"{len(y)} labels for a batch of {x_t.shape[0]}")
            out = guided_output(net, x_t, t_b, y, null_label, guidance, learned_variance)
        var_frac = None
        if learned_variance:
            out, v = out.chunk(2, dim=1)
            var_frac = (v + 1) / 2
        eps, x0 = to_eps_x0(out, x_t, gather(table.on(x_t.device), t_b, x_t), prediction, clip_x0)
        return Denoised(eps, x0, var_frac)

    return denoise
