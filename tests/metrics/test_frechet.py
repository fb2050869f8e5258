import numpy as np
import pytest
import scipy.linalg
import torch

from genlab.metrics.frechet import feature_stats, frechet_distance, frechet_from_stats


def _random_cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_empirical_stats_match_closed_form_with_scipy_sqrtm():
    rng = np.random.default_rng(0)
    d = 6
    x = rng.multivariate_normal(rng.normal(size=d), _random_cov(rng, d), size=2000)
    y = rng.multivariate_normal(rng.normal(size=d), _random_cov(rng, d), size=1500)
    mu1, s1 = x.mean(0), np.cov(x, rowvar=False)
    mu2, s2 = y.mean(0), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real  # independent route: the general matrix square root
    truth = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean)
    assert frechet_distance(torch.tensor(x), torch.tensor(y)) == pytest.approx(truth, rel=1e-9)
    m, s = feature_stats(torch.tensor(x))
    np.testing.assert_allclose(s, s1, rtol=1e-12)
    np.testing.assert_allclose(m, mu1, rtol=1e-12)


def test_diagonal_gaussians_match_known_population_value():
    rng = np.random.default_rng(1)
    a, b = np.array([1.0, 4.0, 0.25, 2.0]), np.array([2.0, 1.0, 1.0, 0.5])
    mu_a, mu_b = np.array([0.0, 1.0, -1.0, 0.5]), np.array([1.0, 1.0, 0.0, 0.0])
    x = mu_a + rng.normal(size=(200_000, 4)) * np.sqrt(a)
    y = mu_b + rng.normal(size=(200_000, 4)) * np.sqrt(b)
    truth = ((mu_a - mu_b) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()  # = 3.25 + 0.8181...
    assert frechet_distance(torch.tensor(x), torch.tensor(y)) == pytest.approx(truth, rel=0.01)
    assert frechet_from_stats(mu_a, np.diag(a), mu_b, np.diag(b)) == pytest.approx(truth, rel=1e-12)


def test_self_distance_is_zero_and_symmetric():
    x = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    y = torch.randn(400, 16, generator=torch.Generator().manual_seed(1)) + 0.3
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-9)
    assert frechet_distance(x, y) > 16 * 0.3**2 * 0.5


def test_rank_deficient_covariances_stay_real_and_finite():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(300, 3, generator=g), torch.zeros(300, 5)], dim=1)  # like dead ReLU units
    y = torch.cat([torch.randn(300, 3, generator=g) * 2, torch.zeros(300, 5)], dim=1)
    mu1, s1 = feature_stats(x)
    mu2, s2 = feature_stats(y)
    # the zero block adds nothing: the truth is the full-rank 3x3 block's value
    b1, b2 = s1[:3, :3], s2[:3, :3]
    truth = ((mu1 - mu2) ** 2).sum() + np.trace(b1 + b2 - 2 * scipy.linalg.sqrtm(b1 @ b2).real)
    assert frechet_distance(x, y) == pytest.approx(truth, rel=1e-9)
