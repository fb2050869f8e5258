"""Schedules, forward process, posteriors against diffusers' DDPMScheduler; parameterization round trips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genlab.maths.gaussian import normal_kl
from genlab.models.diffusion.likelihood import discretized_gaussian_log_likelihood
from genlab.models.diffusion.parameterization import to_eps_x0, v_from_eps_x0
from genlab.models.diffusion.process import GaussianDiffusion
from genlab.models.diffusion.schedule import Schedule, respace

diffusers = pytest.importorskip("diffusers")


def in_float64(ref):
    """A diffusers scheduler's own formulas in float64 (float32 1 - alpha_bar loses digits near t = 0)."""
    ref.betas = ref.betas.double()
    ref.alphas = 1.0 - ref.betas
    ref.alphas_cumprod = torch.cumprod(ref.alphas, dim=0)
    return ref


@pytest.mark.parametrize("T", [1000, 200])
def test_linear_schedule_matches_diffusers(T):
    s = Schedule.named("linear", T)
    ref = diffusers.DDPMScheduler(
        num_train_timesteps=T, beta_start=1e-4 * 1000 / T, beta_end=0.02 * 1000 / T, beta_schedule="linear"
    )
    np.testing.assert_allclose(s.betas, ref.betas.double().numpy(), atol=1e-6)
    np.testing.assert_allclose(s.alpha_bar, ref.alphas_cumprod.double().numpy(), atol=1e-5)


@pytest.mark.parametrize("T", [1000, 50])
def test_cosine_schedule_matches_diffusers(T):
    s = Schedule.named("cosine", T)
    ref = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2")
    np.testing.assert_allclose(s.betas, ref.betas.double().numpy(), atol=1e-6)
    np.testing.assert_allclose(s.alpha_bar, ref.alphas_cumprod.double().numpy(), atol=1e-5)
    assert s.betas.max() <= 0.999


def test_respace_keeps_alpha_bar_on_kept_steps():
    s = Schedule.named("linear", 1000)
    kept = list(range(0, 1000, 37))
    r, tmap = respace(s, kept)
    np.testing.assert_allclose(r.alpha_bar, s.alpha_bar[tmap], rtol=1e-12)
    full, _ = respace(s, range(1000))
    np.testing.assert_allclose(full.betas, s.betas, rtol=1e-10)


def test_q_sample_matches_add_noise():
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(6, 3, 4, 4, generator=g), torch.randn(6, 3, 4, 4, generator=g)
    t = torch.tensor([0, 1, 10, 500, 998, 999])
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000)
    proc = GaussianDiffusion(Schedule.named("linear", 1000))
    torch.testing.assert_close(proc.q_sample(x0, t, eps), ref.add_noise(x0, eps, t), atol=1e-5, rtol=0)


@pytest.mark.parametrize("t", [1, 17, 500, 999])
def test_posterior_mean_variance_matches_ddpm_step(t):
    g = torch.Generator().manual_seed(t)
    x_t, eps = torch.randn(4, 2, 5, 5, generator=g).double(), torch.randn(4, 2, 5, 5, generator=g).double()
    ref = in_float64(
        diffusers.DDPMScheduler(num_train_timesteps=1000, clip_sample=False, variance_type="fixed_small")
    )
    proc = GaussianDiffusion(Schedule.named("linear", 1000))
    tt = torch.full((4,), t)
    p = proc.p_mean_variance(eps, x_t, tt)
    # the deterministic part: diffusers' step with zero noise is exactly the predicted previous mean
    gen = torch.Generator().manual_seed(123)
    out = ref.step(eps, t, x_t, generator=gen).prev_sample
    noise = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(123), dtype=torch.float64)
    var_ref = ref._get_variance(t)
    torch.testing.assert_close(p["variance"][0, 0, 0, 0].double(), var_ref.double(), atol=1e-8, rtol=1e-5)
    torch.testing.assert_close(p["mean"] + p["variance"].sqrt() * noise, out, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        p["x0"], ref.step(eps, t, x_t, generator=gen).pred_original_sample, atol=1e-5, rtol=1e-6
    )


def test_parameterizations_round_trip():
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    ab = torch.rand(5, 1, generator=g) * 0.98 + 0.01
    x_t = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
    for pred in (eps, x0, v_from_eps_x0(eps, x0, ab)):
        kind = {id(eps): "eps", id(x0): "x0"}.get(id(pred), "v")
        e, x = to_eps_x0(pred, x_t, ab, kind)
        torch.testing.assert_close(e, eps, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(x, x0, atol=1e-5, rtol=1e-5)


def test_normal_kl_and_discretized_likelihood_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    m1, lv1, m2, lv2 = torch.tensor(0.3), torch.tensor(-0.7), torch.tensor(-0.2), torch.tensor(0.4)
    kl = normal_kl(m1, lv1, m2, lv2)
    s1, s2 = np.exp(0.5 * -0.7), np.exp(0.5 * 0.4)
    truth = np.log(s2 / s1) + (s1**2 + 0.5**2) / (2 * s2**2) - 0.5
    assert abs(kl.item() - truth) < 1e-6
    levels = 17
    x = torch.linspace(-1, 1, levels, dtype=torch.float64)
    mean, lv = torch.tensor(0.1, dtype=torch.float64), torch.tensor(np.log(0.3**2), dtype=torch.float64)
    logp = discretized_gaussian_log_likelihood(x, mean, lv, levels)
    edges = np.concatenate([[-np.inf], (x[:-1].numpy() + x[1:].numpy()) / 2, [np.inf]])
    mass = np.diff(stats.norm.cdf(edges, loc=0.1, scale=0.3))
    np.testing.assert_allclose(logp.numpy(), np.log(mass), rtol=1e-6)
    assert abs(logp.exp().sum().item() - 1) < 1e-9  # the bins partition the line


@pytest.mark.parametrize("t", [3, 500])
def test_learned_range_and_fixed_large_steps_match_diffusers(t):
    g = torch.Generator().manual_seed(t)
    x_t = torch.randn(2, 2, 4, 4, generator=g, dtype=torch.float64)
    out = torch.randn(2, 4, 4, 4, generator=g, dtype=torch.float64).clamp(-1, 1)  # [eps, v]
    noise = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    for variance, model_out in (("learned_range", out), ("fixed_large", out[:, :2])):
        ref = in_float64(
            diffusers.DDPMScheduler(num_train_timesteps=1000, clip_sample=False, variance_type=variance)
        )
        proc = GaussianDiffusion(Schedule.named("linear", 1000), variance=variance)
        p = proc.p_mean_variance(model_out, x_t, torch.full((2,), t))
        step = ref.step(model_out, t, x_t, generator=torch.Generator().manual_seed(9)).prev_sample
        torch.testing.assert_close(
            p["mean"] + (0.5 * p["log_variance"]).exp() * noise, step, atol=1e-5, rtol=1e-6
        )


def test_hybrid_loss_stops_the_vlb_gradient_at_the_mean():
    proc = GaussianDiffusion(Schedule.named("linear", 100), variance="learned_range", loss="hybrid")
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(4, 1, 3, 3, generator=g) * 2 - 1
    out = (torch.randn(4, 2, 3, 3, generator=g) * 0.3).requires_grad_()
    terms = proc.training_losses(
        lambda x, t: out, x0, torch.tensor([0, 5, 50, 99]), torch.randn_like(x0), 256
    )
    (grad,) = torch.autograd.grad(terms["vlb"].sum(), out, retain_graph=True)
    assert grad[:, :1].abs().max() == 0 and grad[:, 1:].abs().max() > 0
    (grad,) = torch.autograd.grad(terms["loss"].sum(), out)
    assert grad[:, :1].abs().max() > 0
    vlb_only = GaussianDiffusion(Schedule.named("linear", 100), variance="learned_range", loss="vlb")
    terms = vlb_only.training_losses(
        lambda x, t: out, x0, torch.tensor([0, 5, 50, 99]), torch.randn_like(x0), 256
    )
    (grad,) = torch.autograd.grad(terms["loss"].sum(), out)
    assert grad[:, :1].abs().max() > 0
    torch.testing.assert_close(terms["loss"], 100 * terms["vlb"])
