"""Decoder likelihoods and the Gaussian KL against torch.distributions and hand-computed formulas."""

import math

import pytest
import torch
from torch.distributions import Bernoulli as TorchBernoulli
from torch.distributions import Normal, kl_divergence

from genlab.errors import ConfigError
from genlab.maths.gaussian import standard_normal_kl as gaussian_kl
from genlab.models.decoder_likelihoods import (
    Bernoulli,
    DiscretizedLogistic,
    FixedGaussian,
    LearnedGaussian,
    make_likelihood,
    resolve_likelihood_name,
)


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(7, 3, 4, 4, generator=g) * 2
    logvar = torch.randn(7, 3, 4, 4, generator=g)
    ref = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).reshape(7, -1).sum(1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), ref, rtol=1e-5, atol=1e-5)


def test_fixed_and_learned_gaussian_match_normal():
    g = torch.Generator().manual_seed(1)
    x, mean = torch.randn(5, 1, 3, 3, generator=g), torch.randn(5, 1, 3, 3, generator=g)
    ref = Normal(mean, 0.3).log_prob(x).reshape(5, -1).sum(1)
    torch.testing.assert_close(FixedGaussian(0.3).log_prob(mean, x), ref)

    glob = LearnedGaussian(per_dim=False)
    with torch.no_grad():
        glob.global_log_sigma.fill_(math.log(0.3))
    torch.testing.assert_close(glob.log_prob(mean, x), ref)

    log_sigma = torch.randn(5, 1, 3, 3, generator=g) * 0.5
    per_dim = LearnedGaussian(per_dim=True)
    ref = Normal(mean, log_sigma.exp()).log_prob(x).reshape(5, -1).sum(1)
    torch.testing.assert_close(per_dim.log_prob(torch.cat([mean, log_sigma], 1), x), ref)


def test_bernoulli_matches_torch_bernoulli():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(6, 10, generator=g) * 3
    x = torch.where(torch.rand(6, 10, generator=g) < 0.5, -1.0, 1.0)  # binarized data on {-1, 1}
    ref = TorchBernoulli(logits=logits).log_prob((x + 1) / 2).sum(1)
    torch.testing.assert_close(Bernoulli().log_prob(logits, x), ref)


@pytest.mark.parametrize("levels", [2, 17, 256])
def test_discretized_logistic_sums_to_one_and_matches_cdf_differences(levels):
    g = torch.Generator().manual_seed(3)
    n = 64
    mean = torch.randn(n, 1, generator=g) * 1.5  # some means outside [-1, 1]
    log_s = torch.rand(n, 1, generator=g) * 8 - 7.0  # scales from e^-7 (tiny bins) to e^1
    grid = torch.linspace(-1, 1, levels)  # every level 2k/(levels-1) - 1
    lik = DiscretizedLogistic(levels)
    params = torch.cat([mean, log_s], 1)
    log_p = torch.stack([lik.log_prob(params, v.expand(n, 1)) for v in grid], 1)  # [n, levels]
    assert torch.isfinite(log_p).all()
    torch.testing.assert_close(log_p.exp().sum(1), torch.ones(n), atol=2e-4, rtol=0)

    # hand formula in float64: P(k) = F(x + h) - F(x - h), F the logistic CDF, edge bins to +-inf
    h = 1.0 / (levels - 1)
    m64, s64, x64 = mean.double(), log_s.double().exp(), grid.double()[None]
    upper = torch.where(x64 > 1 - h / 2, torch.ones_like(x64 * m64), torch.sigmoid((x64 + h - m64) / s64))
    lower = torch.where(x64 < -1 + h / 2, torch.zeros_like(x64 * m64), torch.sigmoid((x64 - h - m64) / s64))
    ref = upper - lower
    big = ref > 1e-4  # where float64 differencing is itself accurate
    torch.testing.assert_close(log_p.exp().double()[big], ref[big], atol=1e-5, rtol=1e-4)


def test_discretized_logistic_tail_bins_are_finite_with_finite_gradients():
    params = torch.tensor([[5.0, -7.0]], requires_grad=True)  # mean far above the data, tiny scale
    lp = DiscretizedLogistic(256).log_prob(params, torch.tensor([[0.0]]))
    lp.sum().backward()
    assert torch.isfinite(lp).all() and torch.isfinite(params.grad).all()
    assert lp.item() < -100


def test_auto_likelihood_and_invalid_choices():
    assert resolve_likelihood_name("auto", "image", 17) == "logistic"
    assert resolve_likelihood_name("auto", "image", 2) == "bernoulli"
    assert resolve_likelihood_name("auto", "points", None) == "gaussian_learned"
    with pytest.raises(ConfigError):
        make_likelihood("bernoulli", 256)
    with pytest.raises(ConfigError):
        make_likelihood("logistic", None)
    with pytest.raises(ConfigError):
        resolve_likelihood_name("poisson", "image", 256)


def test_continuous_bernoulli_matches_torch_and_integrates_to_one():
    """log_prob, mean and the normaliser against torch.distributions.ContinuousBernoulli (a density in x = 2y - 1,
    so log p(x) = log p(y) - log 2), across the Taylor switch at |eta| = 1e-2 and out to |eta| = 15."""
    from torch.distributions import ContinuousBernoulli as TorchCB

    from genlab.models.decoder_likelihoods import ContinuousBernoulli

    cb = ContinuousBernoulli()
    eta = torch.tensor([-15.0, -3.0, -0.5, -0.011, -0.009, -1e-4, 0.0, 1e-4, 0.009, 0.011, 0.5, 3.0, 15.0],
                       dtype=torch.float64)
    y = torch.linspace(0.01, 0.99, len(eta), dtype=torch.float64)
    ours = cb.log_prob(eta[:, None], 2 * y[:, None] - 1)
    ref = TorchCB(logits=eta).log_prob(y) - math.log(2)
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close((cb.mean(eta) + 1) / 2, TorchCB(logits=eta).mean, rtol=1e-6, atol=1e-6)
    # the density integrates to 1 over x in [-1, 1] (trapezoid on 20,001 points)
    xs = torch.linspace(-1, 1, 20001, dtype=torch.float64)
    for e in (-6.0, -0.005, 0.0, 2.0):
        dens = cb.log_prob(torch.full((len(xs), 1), e, dtype=torch.float64), xs[:, None]).exp()
        assert torch.trapezoid(dens, xs).item() == pytest.approx(1.0, abs=1e-6)


def test_continuous_bernoulli_sampler_has_the_mean():
    from genlab.models.decoder_likelihoods import ContinuousBernoulli

    cb = ContinuousBernoulli()
    g = torch.Generator().manual_seed(0)
    for e in (-4.0, 0.003, 1.5):
        eta = torch.full((200_000,), e, dtype=torch.float64)
        s = cb.sample(eta, g)
        se = s.std().item() / math.sqrt(len(s))
        assert abs(s.mean().item() - cb.mean(eta[:1]).item()) < 4 * se
        assert s.min() >= -1 and s.max() <= 1
