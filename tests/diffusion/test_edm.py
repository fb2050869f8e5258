"""The EDM formulation and Heun sampler (Karras et al. 2022) against closed forms for Gaussian data."""

import math

import pytest
import torch
from gaussian_truth import expected_bound_terms, optimal_denoiser

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.diffusion import edm
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.models.diffusion.schedule import Schedule
from genlab.samplers import SAMPLERS, get_sampler
from genlab.samplers.heun import sample_heun

SIGMAS = [0.002, 0.01, 0.1, 0.5, 1.0, 3.0, 20.0, 80.0]


def _sigma_from_c_noise(c_noise):
    lo, hi = math.log(edm.SIGMA_MIN), math.log(edm.SIGMA_MAX)
    return torch.exp(c_noise.double() / 1000 * (hi - lo) + lo)


@pytest.mark.parametrize("mu,s", [(0.0, edm.SIGMA_DATA), (0.3, 0.2), (-1.0, 1.5)])
def test_preconditioned_optimal_network_gives_the_posterior_mean_at_every_sigma(mu, s):
    """F* = (D* - c_skip x) / c_out read back through c_in and c_noise: D(x; sigma) must be the analytic posterior
    mean mu + s^2 / (s^2 + sigma^2) (x - mu) of N(mu, s^2) data. For zero-mean data with s = sigma_data, F* = 0: the
    skip connection alone is the posterior mean."""
    x = torch.linspace(-4, 4, 9, dtype=torch.float64).reshape(-1, 1)

    def net(x_in, c_noise):
        sigma = _sigma_from_c_noise(c_noise).reshape(-1, 1)
        c_skip, c_out, c_in, _ = edm.preconditioning(sigma)
        x_full = x_in / c_in
        posterior = mu + s**2 / (s**2 + sigma**2) * (x_full - mu)
        return (posterior - c_skip * x_full) / c_out

    for sigma in SIGMAS:
        sig = torch.full((len(x),), sigma, dtype=torch.float64)
        got = edm.edm_denoise(net, x, sig)
        torch.testing.assert_close(got, mu + s**2 / (s**2 + sigma**2) * (x - mu), rtol=1e-9, atol=1e-9)
        if mu == 0.0 and s == edm.SIGMA_DATA:
            zero = edm.edm_denoise(lambda a, b: torch.zeros_like(a), x, sig)
            torch.testing.assert_close(zero, s**2 / (s**2 + sigma**2) * x, rtol=1e-12, atol=1e-12)


def test_input_and_target_have_unit_variance_and_the_weighted_loss_of_the_optimum_is_one():
    """Karras et al. App. B.6: c_in gives the network unit-variance inputs, c_out a unit-variance target, and
    lambda(sigma) makes the optimal loss 1 at every sigma (data N(0, sigma_data^2), where F* = 0)."""
    g = torch.Generator().manual_seed(0)
    n = 200_000
    sd = edm.SIGMA_DATA
    for sigma in (0.01, 0.3, 2.0, 50.0):
        y, noise = torch.randn(n, 1, generator=g, dtype=torch.float64) * sd, torch.randn(n, 1, generator=g,
                                                                                          dtype=torch.float64)
        sig = torch.full((n,), sigma, dtype=torch.float64)
        c_skip, c_out, c_in, _ = edm.preconditioning(sig.reshape(-1, 1))
        x = y + sigma * noise
        se = 4 * math.sqrt(2 / n)  # a variance's standard error is about sqrt(2/n)
        assert float((c_in * x).var()) == pytest.approx(1.0, abs=se)
        assert float(((y - c_skip * x) / c_out).var()) == pytest.approx(1.0, abs=se)
        loss = edm.edm_loss(lambda a, b: torch.zeros_like(a), y, sig, noise)
        assert float(loss.mean()) == pytest.approx(1.0, abs=4 * float(loss.std()) / math.sqrt(n))


def test_the_samplers_denoiser_of_an_optimal_edm_network_is_the_exact_vp_denoiser():
    """make_edm_denoiser's VP <-> sigma conversion: fed the optimal F of N(mu, s^2) data, its (eps, x0) at every
    discrete t equal the closed-form DDPM denoiser's (gaussian_truth)."""
    mu, s = 0.4, 0.3
    ab = torch.as_tensor(Schedule.named("linear", 1000).alpha_bar, dtype=torch.float64)

    def net(x_in, c_noise):
        sigma = _sigma_from_c_noise(c_noise).reshape(-1, 1)
        c_skip, c_out, c_in, _ = edm.preconditioning(sigma)
        x_full = x_in / c_in
        return (mu + s**2 / (s**2 + sigma**2) * (x_full - mu) - c_skip * x_full) / c_out

    ours, truth = edm.make_edm_denoiser(net, ab), optimal_denoiser(ab, mu, s)
    x_t = torch.linspace(-3, 3, 7, dtype=torch.float64).reshape(-1, 1)
    for t in (0, 10, 250, 500, 999):
        a, b = ours(x_t, t), truth(x_t, torch.tensor(t))
        torch.testing.assert_close(a.x0, b.x0, rtol=1e-7, atol=1e-9)
        torch.testing.assert_close(a.eps, b.eps, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("steps", [18, 40, 100])
def test_heun_without_churn_solves_the_probability_flow_ode_of_gaussian_data(steps):
    """Along the PF-ODE of N(mu, s^2) data, (x(sigma) - mu) / sqrt(s^2 + sigma^2) is constant: from x at the first
    level's sigma the exact end point is mu + (x - mu) s / sqrt(s^2 + sigma^2)."""
    mu, s = 0.4, 0.3
    ab = torch.as_tensor(Schedule.named("linear", 1000).alpha_bar, dtype=torch.float64)
    x_T = torch.linspace(-2.5, 2.5, 11, dtype=torch.float64).reshape(-1, 1)
    grid = list(range(999, -1, -1000 // steps))[:steps]
    out = sample_heun(optimal_denoiser(ab, mu, s), x_T, grid, ab)
    sigma0 = math.sqrt((1 - float(ab[999])) / float(ab[999]))
    exact = mu + (x_T / math.sqrt(float(ab[999])) - mu) * s / math.sqrt(s**2 + sigma0**2)
    err = float((out - exact).abs().max())
    assert err < {18: 0.07, 40: 0.012, 100: 0.0015}[steps], err  # measured 0.054, 0.0092, 0.0010: converging


def test_heun_is_second_order_and_churn_adds_noise_only_when_asked():
    mu, s = 0.4, 0.3
    ab = torch.as_tensor(Schedule.named("linear", 1000).alpha_bar, dtype=torch.float64)
    den = optimal_denoiser(ab, mu, s)
    x_T = torch.linspace(-2.5, 2.5, 11, dtype=torch.float64).reshape(-1, 1)
    sigma0 = math.sqrt((1 - float(ab[999])) / float(ab[999]))
    exact = mu + (x_T / math.sqrt(float(ab[999])) - mu) * s / math.sqrt(s**2 + sigma0**2)
    errs = [float((sample_heun(den, x_T, [999] * 1 + list(range(998, 998 - n + 1, -1)), ab) - exact).abs().max())
            for n in (10, 20)]
    assert errs[1] < errs[0] / 2.5  # halving the step size cuts the error ~4x (2nd order); Euler would give 2x
    g = torch.Generator().manual_seed(0)
    x_T = torch.randn(20000, 1, generator=g, dtype=torch.float64)
    grid = list(range(999, 949, -1))  # 50 levels (only the count matters with rho = 7)
    plain = sample_heun(den, x_T, grid, ab)
    noisy = sample_heun(den, x_T, grid, ab, churn=10.0, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(plain, noisy)  # churn draws fresh noise; the data's law is kept (measured 0.397, 0.304)
    assert float(noisy.mean()) == pytest.approx(mu, abs=0.01) and float(noisy.std()) == pytest.approx(s, rel=0.03)
    assert get_sampler("heun").nfe(18) == 35 and "heun" in SAMPLERS


POINTS = DataInfo("ring8", "points", (2,), None)


def test_an_edm_ddpm_trains_and_samples_with_every_sampler():
    torch.manual_seed(0)
    model = DDPM(DDPMConfig(formulation="edm"), POINTS)
    from genlab.models.base import TrainState

    loss = model("main", torch.randn(64, 2) * 0.5, TrainState(0, 0.0))["loss"]
    loss.backward()
    assert torch.isfinite(loss) and 0.2 < float(loss.detach()) < 20  # lambda-weighted: about 1 for an untrained net
    for name in SAMPLERS:
        x = model.sample(16, generator=torch.Generator().manual_seed(0), sampler=name, steps=8)
        assert x.shape == (16, 2) and torch.isfinite(x).all(), name


class _OptimalF(torch.nn.Module):
    """The F whose preconditioned D(x; sigma) is the posterior mean of N(mu, s^2) data (eq. 7 solved for F)."""

    def __init__(self, mu: float, s: float):
        super().__init__()
        self.mu, self.s = mu, s

    def forward(self, x_in, c_noise):
        sigma = _sigma_from_c_noise(c_noise).reshape(-1, 1).to(x_in)
        c_skip, c_out, c_in, _ = edm.preconditioning(sigma)
        x = x_in / c_in
        return (self.mu + self.s**2 / (self.s**2 + sigma**2) * (x - self.mu) - c_skip * x) / c_out


def test_the_bound_of_an_optimal_edm_model_is_the_closed_form_bound_of_gaussian_data():
    """An EDM model's bound is Ho et al.'s eq. 5 for the chain its VP-grid denoiser defines: with the optimal F of
    N(mu, s^2) data it equals the closed-form expected bound of the exact denoiser (gaussian_truth), which lies
    above the data's true entropy."""
    mu, s, n = 0.3, 0.4, 2048
    model = DDPM(DDPMConfig(formulation="edm"), DataInfo("line", "points", (1,), None)).double()
    model.net = _OptimalF(mu, s)
    g = torch.Generator().manual_seed(6)
    x0 = mu + s * torch.randn(n, 1, generator=g, dtype=torch.float64)
    truth = expected_bound_terms(model.process.schedule, mu, s, model.process.variance).sum().item()  # nats
    nll = 0.5 * math.log(2 * math.pi * s * s) + (x0[:, 0] - mu) ** 2 / (2 * s * s)
    est = model.log_likelihood(x0, g) * math.log(2)
    se = (est - nll).std().item() / math.sqrt(n)
    assert truth > 0.5 * math.log(2 * math.pi * math.e * s * s)
    assert abs(est.mean().item() - truth) < 4 * se + 0.01, (est.mean().item(), truth, se)
    with pytest.raises(AssertionError):  # fails when the bound ignores the preconditioning (F read as eps)
        raw = model.process.vlb_terms(lambda x, t: model.net(x, t.to(x)), x0, None, g)["total"] * math.log(2)
        assert abs(raw.mean().item() - truth) < 4 * se + 0.01


@pytest.mark.parametrize("option", [{"loss": "hybrid"}, {"prediction": "v"}, {"min_snr_gamma": 5.0},
                                    {"formulation": "vp"}])
def test_edm_refuses_options_of_the_ddpm_loss(option):
    with pytest.raises(ConfigError):
        DDPM(DDPMConfig(**({"formulation": "edm"} | option)), POINTS)
