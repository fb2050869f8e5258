"""Samplers against diffusers' schedulers step by step, DDIM(eta=1) == DDPM, and the 1-D Gaussian truth."""

from __future__ import annotations

import math

import pytest
import torch
from gaussian_truth import expected_bound_terms, optimal_denoiser, optimal_eps_net

from genlab.models.diffusion.parameterization import make_denoiser
from genlab.models.diffusion.process import GaussianDiffusion
from genlab.models.diffusion.schedule import Schedule
from genlab.samplers import sample_ddim, sample_ddpm, sample_dpm_solver, sample_sde_dpm_solver, timestep_grid
from genlab.samplers.ddim import ddim_step
from genlab.samplers.ddpm import ddpm_step

diffusers = pytest.importorskip("diffusers")
AB = torch.as_tensor(Schedule.named("linear", 1000).alpha_bar)


def in_float64(ref):
    """diffusers' own formulas in float64 (its float32 1 - alpha_bar loses digits near t = 0)."""
    ref.betas = ref.betas.double()
    ref.alphas = 1.0 - ref.betas
    ref.alphas_cumprod = torch.cumprod(ref.alphas, dim=0)
    return ref


def toy_net(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A fixed nonlinear 'eps prediction' that depends on x_t and t."""
    return torch.tanh(x_t) * (0.5 + t.to(x_t).reshape(-1, 1, 1, 1) / 2000) + 0.1


def x0_of(x, t):
    return make_denoiser(toy_net, AB)(x, torch.full((x.shape[0],), t))


@pytest.mark.parametrize("spacing", ["leading", "trailing", "linspace"])
def test_timestep_grid_matches_ddim_scheduler(spacing):
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, timestep_spacing=spacing)
    ref.set_timesteps(50)
    assert timestep_grid(1000, 50, spacing) == ref.timesteps.tolist()


@pytest.mark.parametrize("variance", ["fixed_small", "fixed_large"])
def test_ddpm_step_matches_diffusers(variance):
    ref = in_float64(
        diffusers.DDPMScheduler(num_train_timesteps=1000, clip_sample=False, variance_type=variance)
    )
    ref.set_timesteps(1000)
    x = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for t in (999, 400, 1, 0):
        d = x0_of(x, t)
        out = ref.step(d.eps, t, x, generator=torch.Generator().manual_seed(7)).prev_sample
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
        mine = ddpm_step(x, d, float(AB[t]), float(AB[t - 1]) if t > 0 else 1.0, variance, noise)
        torch.testing.assert_close(mine, out, atol=1e-5, rtol=1e-6)


@pytest.mark.parametrize("eta", [0.0, 0.7])
def test_ddim_steps_match_diffusers(eta):
    ref = in_float64(diffusers.DDIMScheduler(num_train_timesteps=1000, clip_sample=False))
    ref.set_timesteps(20)
    grid = timestep_grid(1000, 20, "leading")
    x = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for i in (0, 7, 19):
        t = grid[i]
        prev = float(AB[grid[i + 1]]) if i + 1 < len(grid) else 1.0
        d = x0_of(x, t)
        noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(i), dtype=torch.float64)
        out = ref.step(d.eps, t, x, eta=eta, variance_noise=noise).prev_sample
        torch.testing.assert_close(ddim_step(x, d, float(AB[t]), prev, eta, noise), out, atol=1e-5, rtol=1e-6)


@pytest.mark.parametrize("steps", [3, 10])
def test_dpm_solver_pp_2m_matches_diffusers(steps):
    ref = diffusers.DPMSolverMultistepScheduler(num_train_timesteps=1000)  # dpmsolver++, order 2, midpoint
    ref.set_timesteps(steps)
    grid = ref.timesteps.tolist()
    x_T = torch.randn(2, 1, 3, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    trace = []
    mine = sample_dpm_solver(
        make_denoiser(toy_net, AB), x_T, grid, AB, callback=lambda s: trace.append(s["x"])
    )
    x = x_T
    for i, t in enumerate(grid):
        x = ref.step(toy_net(x, torch.full((2,), t)), t, x).prev_sample
        torch.testing.assert_close(
            trace[i], x.to(torch.float64), atol=1e-5, rtol=1e-5
        )  # steps 2.. are 2nd order
    torch.testing.assert_close(mine, x.to(torch.float64), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("steps", [3, 10])
def test_sde_dpm_solver_pp_2m_matches_diffusers(steps):
    ref = diffusers.DPMSolverMultistepScheduler(num_train_timesteps=1000, algorithm_type="sde-dpmsolver++")
    ref.set_timesteps(steps)
    grid = ref.timesteps.tolist()
    x_T = torch.randn(2, 1, 3, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    trace = []
    g = torch.Generator().manual_seed(9)
    mine = sample_sde_dpm_solver(make_denoiser(toy_net, AB), x_T, grid, AB, generator=g,
                                 callback=lambda s: trace.append(s["x"]))
    x = x_T
    g = torch.Generator().manual_seed(9)  # the same noise: genlab draws one z per step but the last, in order
    for i, t in enumerate(grid):
        z = torch.randn(x_T.shape, generator=g, dtype=torch.float64) if i < steps - 1 else torch.zeros_like(x_T)
        x = ref.step(toy_net(x, torch.full((2,), t)), t, x, variance_noise=z).prev_sample
        torch.testing.assert_close(trace[i], x.to(torch.float64), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mine, x.to(torch.float64), atol=1e-5, rtol=1e-5)


def test_sde_dpm_solver_first_step_is_a_draw_from_the_ddpm_posterior():
    # the first-order SDE-DPM-Solver++ update is q(x_t | x_s, x0_theta) of Ho et al. eq. 7 on the grid
    den = make_denoiser(toy_net, AB)
    x_T = torch.randn(2, 1, 3, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grid = [700, 400]  # one step 700 -> 400, then the final jump (its output is not compared)
    trace = []
    sample_sde_dpm_solver(den, x_T, grid, AB, generator=torch.Generator().manual_seed(4),
                          callback=lambda s: trace.append(s["x"]))
    z = torch.randn(x_T.shape, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    d = den(x_T, torch.full((2,), 700))
    expected = ddpm_step(x_T, d, float(AB[700]), float(AB[400]), "fixed_small", z)
    torch.testing.assert_close(trace[0], expected, atol=1e-10, rtol=1e-10)


def test_ddim_eta_one_full_grid_is_ddpm_ancestral():
    den = make_denoiser(toy_net, AB)
    x_T = torch.randn(2, 1, 3, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grid = timestep_grid(1000, 1000)
    a = sample_ddpm(den, x_T, grid, AB, "fixed_small", generator=torch.Generator().manual_seed(4))
    b = sample_ddim(den, x_T, grid, AB, eta=1.0, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize(
    "sampler,steps,std_tol",
    [("ddpm", 1000, 0.015), ("ddim", 50, 0.03), ("dpm_solver", 20, 0.03), ("sde_dpm_solver", 20, 0.03)],
)
def test_samplers_reproduce_gaussian_data(sampler, steps, std_tol):
    # std_tol allows the samplers' discretization error (DDIM is first order; both ODE solvers shrink the std)
    mu, s, n = 0.3, 0.4, 4000
    den = optimal_denoiser(AB, mu, s)
    g = torch.Generator().manual_seed(5)
    x_T = torch.randn(n, 1, generator=g, dtype=torch.float64)
    fn = {"ddpm": sample_ddpm, "ddim": sample_ddim, "dpm_solver": sample_dpm_solver,
          "sde_dpm_solver": sample_sde_dpm_solver}[sampler]
    x = fn(den, x_T, timestep_grid(1000, steps, "trailing"), AB, generator=g)
    se = s / math.sqrt(n)
    assert abs(x.mean().item() - mu) < 4 * se
    assert abs(x.std().item() - s) < std_tol + 3 * se / math.sqrt(2)


def test_second_order_beats_first_order_at_equal_steps():
    mu, s = 0.3, 0.4
    den = optimal_denoiser(AB, mu, s)
    x_T = torch.randn(4000, 1, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    grid = timestep_grid(1000, 20, "trailing")
    err_ddim = abs(sample_ddim(den, x_T, grid, AB).std().item() - s)
    err_dpm = abs(sample_dpm_solver(den, x_T, grid, AB).std().item() - s)
    assert err_dpm < 0.6 * err_ddim


def test_variational_bound_matches_closed_form_and_exceeds_exact_nll():
    mu, s, n = 0.3, 0.4, 2048
    g = torch.Generator().manual_seed(6)
    x0 = mu + s * torch.randn(n, 1, generator=g, dtype=torch.float64)
    nll = 0.5 * math.log(2 * math.pi * s * s) + (x0[:, 0] - mu) ** 2 / (2 * s * s)  # exact -log p(x0), nats
    exact_nll = 0.5 * math.log(2 * math.pi * math.e * s * s)
    for variance in ("fixed_small", "fixed_large"):
        proc = GaussianDiffusion(Schedule.named("linear", 1000), variance=variance)
        truth = expected_bound_terms(proc.schedule, mu, s, variance)  # [T] nats
        assert truth.sum().item() > exact_nll  # the bound, in closed form, lies above the true NLL
        assert truth.sum().item() - exact_nll < 0.6
        r = proc.vlb_terms(optimal_eps_net(proc.alpha_bar, mu, s), x0, None, generator=g, max_batch=1 << 17)
        assert torch.isfinite(r["terms"]).all() and r["terms"].shape == (n, 1000)
        est = r["total"] * math.log(2)
        se = (est - nll).std().item() / math.sqrt(n)
        assert abs(est.mean().item() - truth.sum().item()) < 4 * se + 0.01
        assert abs(r["terms"][:, 0].mean().item() * math.log(2) - truth[0].item()) < 0.05
    sub = proc.vlb_terms(
        optimal_eps_net(proc.alpha_bar, mu, s), x0[:256], None, generator=g, t_subset=50, max_batch=1 << 17
    )
    assert torch.isnan(sub["terms"]).sum() == 256 * (1000 - 51) and torch.isfinite(sub["total"]).all()


def test_ddpm_step_learned_range_equals_the_process_reverse_gaussian_on_the_full_grid():
    proc = GaussianDiffusion(Schedule.named("linear", 1000), variance="learned_range")
    g = torch.Generator().manual_seed(9)
    x = torch.randn(2, 1, 3, 3, generator=g, dtype=torch.float64)
    out = torch.cat(
        [
            torch.randn(2, 1, 3, 3, generator=g, dtype=torch.float64),
            torch.rand(2, 1, 3, 3, generator=g, dtype=torch.float64) * 2 - 1,
        ],
        1,
    )
    noise = torch.randn(x.shape, generator=g, dtype=torch.float64)
    den = make_denoiser(lambda x_t, t: out, AB, learned_variance=True)
    for t in (1, 300, 999):
        p = proc.p_mean_variance(out, x, torch.full((2,), t))
        mine = ddpm_step(x, den(x, t), float(AB[t]), float(AB[t - 1]), "learned_range", noise)
        torch.testing.assert_close(
            mine, p["mean"] + (0.5 * p["log_variance"]).exp() * noise, atol=1e-10, rtol=1e-8
        )
