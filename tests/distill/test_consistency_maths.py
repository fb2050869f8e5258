"""Consistency distillation (Song et al. 2023) against closed forms: the boundary condition, the Karras grid,
the ODE step, and a one-step student of 1-D Gaussian data."""

from __future__ import annotations

import math

import pytest
import torch
from distill_truth import ALPHA_BAR, AffineNet, M, S, data, fit, gaussian_teacher

from genlab.models.distill.consistency import (
    boundary_coefficients,
    consistency_denoiser,
    consistency_loss,
    heun_step,
    karras_timesteps,
    sigmas_of,
    update_target,
)
from genlab.samplers import get_sampler


@pytest.mark.parametrize("prediction", ["v", "x0"])
def test_boundary_condition_is_exact(prediction):
    """f(x, sigma_min) = x bit for bit, whatever the network says (Song et al. 2023, eq. 3)."""
    torch.manual_seed(0)
    net = AffineNet()
    with torch.no_grad():
        net.a.normal_()
        net.b.normal_()
    f = consistency_denoiser(net, ALPHA_BAR, prediction)
    x = torch.randn(64, 1, dtype=torch.float64)
    x_t = ALPHA_BAR[0].sqrt() * x  # the VP point at t = 0 whose VE value is x
    out = f(x_t, torch.zeros(64, dtype=torch.long)).x0
    assert torch.equal(out, x_t / ALPHA_BAR[0].sqrt())
    c_skip, c_out = boundary_coefficients(sigmas_of(ALPHA_BAR)[:1], float(sigmas_of(ALPHA_BAR)[0]), 1.0)
    assert float(c_skip) == 1.0 and float(c_out) == 0.0


def test_coefficients_match_the_paper():
    """Appendix C's c_skip and c_out at a few sigma, sigma_data = 0.5 as in the paper."""
    sigma = torch.tensor([0.002, 0.5, 3.0, 80.0], dtype=torch.float64)
    c_skip, c_out = boundary_coefficients(sigma, 0.002, 0.5)
    want_skip = 0.25 / ((sigma - 0.002) ** 2 + 0.25)
    want_out = 0.5 * (sigma - 0.002) / (0.25 + sigma**2).sqrt()
    torch.testing.assert_close(c_skip, want_skip, rtol=0, atol=0)
    torch.testing.assert_close(c_out, want_out, rtol=0, atol=0)


def test_karras_grid_spans_the_teacher_and_is_dense_at_low_noise():
    ts = karras_timesteps(ALPHA_BAR, 18, 7.0)
    assert ts[0] == 0 and ts[-1] == len(ALPHA_BAR) - 1 and ts == sorted(set(ts))
    assert 14 <= len(ts) <= 18
    s = sigmas_of(ALPHA_BAR)[ts]
    assert float(s[1] - s[0]) < float(s[-1] - s[-2]) / 100  # rho = 7 crowds the levels near sigma_min


def _solve(N: int, solver: str) -> float:
    """Largest error at sigma_min of the teacher's ODE solved down the N-level grid from five points at sigma_max,
    against the exact flow of N(m, s^2) data: x(sigma') = m + sqrt((s^2 + sigma'^2) / (s^2 + sigma^2)) (x - m)."""
    teacher, ts = gaussian_teacher(), karras_timesteps(ALPHA_BAR, N)
    s2 = (1 - ALPHA_BAR) / ALPHA_BAR
    x = torch.linspace(-2, 2, 5, dtype=torch.float64).reshape(-1, 1) * (S**2 + s2[-1]).sqrt() + M
    exact = M + ((S**2 + s2[0]) / (S**2 + s2[-1])).sqrt() * (x - M)
    for lo, hi in zip(ts[-2::-1], ts[::-1], strict=False):
        x = heun_step(teacher, x, torch.full((5,), hi), torch.full((5,), lo), ALPHA_BAR[hi].reshape(1, 1),
                      ALPHA_BAR[lo].reshape(1, 1), solver)
    return float((x - exact).abs().max())


def test_heun_step_is_second_order_on_the_exact_gaussian_flow():
    """Doubling the levels cuts Heun's error about 4x (second order) and Euler's about 2x (first order)."""
    heun, euler = [_solve(n, "heun") for n in (18, 36)], [_solve(n, "euler") for n in (18, 36)]
    assert heun[0] / heun[1] > 3.5 and 1.6 < euler[0] / euler[1] < 2.5
    assert heun[1] < 0.02 < euler[1]


def test_one_step_student_reproduces_gaussian_mean_and_variance():
    """Alg. 2 with the exact teacher trains a student whose single evaluation at sigma_max draws N(m, s^2):
    mean and variance within a few standard errors of 40,000 samples (Alg. 1 with one step)."""
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    teacher, ts = gaussian_teacher(), karras_timesteps(ALPHA_BAR, 80)  # fine: Heun's error < sampling error
    net, target = AffineNet(), AffineNet()
    target.load_state_dict(net.state_dict())
    student, target_f = consistency_denoiser(net, ALPHA_BAR), consistency_denoiser(target, ALPHA_BAR)

    def loss():
        value = consistency_loss(student, target_f, teacher, data(512, g), ts, ALPHA_BAR)
        update_target(target, net, 0.95)  # after this step's gradient: theta- follows theta
        return value

    fit(loss, net.parameters(), 2000, 0.05)
    n = 40_000
    x_T = torch.randn(n, 1, dtype=torch.float64, generator=g)
    x = get_sampler("consistency")(student, x_T, [len(ALPHA_BAR) - 1], ALPHA_BAR, generator=g)
    mean_se, var_se = S / math.sqrt(n), S**2 * math.sqrt(2 / n)
    assert abs(float(x.mean()) - M) < 4 * mean_se + 2e-3
    assert abs(float(x.var()) - S**2) < 4 * var_se + 5e-3
    x2 = get_sampler("consistency")(student, x_T, [len(ALPHA_BAR) - 1, ts[len(ts) // 2]], ALPHA_BAR, generator=g)
    assert abs(float(x2.mean()) - M) < 4 * mean_se + 2e-3 and abs(float(x2.var()) - S**2) < 4 * var_se + 5e-3
