"""Linear probe against scikit-learn; rate against torch's Gaussian KL; active units against a hand-built code."""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from genlab.metrics.active_units import active_units
from genlab.metrics.linear_probe import linear_probe, wilson_interval
from genlab.metrics.rate_distortion import distortion, rate_bits


def test_probe_on_raw_digits_matches_sklearn_to_the_last_digit():
    x, y = load_digits(return_X_y=True)
    xtr, ytr, xte, yte = x[:1200], y[:1200], x[1200:], y[1200:]
    scaler = StandardScaler().fit(xtr)
    truth = LogisticRegression(max_iter=1000).fit(scaler.transform(xtr), ytr).score(scaler.transform(xte), yte)
    got = linear_probe(torch.tensor(xtr), torch.tensor(ytr), torch.tensor(xte), torch.tensor(yte))
    assert got["accuracy"] == truth
    assert got["low"] < truth < got["high"]


def test_probe_never_fits_on_test_labels():
    x, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    a = linear_probe(x[:1200], y[:1200], x[1200:], y[1200:])
    b = linear_probe(x[:1200], y[:1200], x[1200:], rng.permutation(y[1200:]))  # scrambled test labels
    assert b["accuracy"] < 0.3 < a["accuracy"]  # scoring changes, fitting did not see them


def test_wilson_interval_known_value():
    low, high = wilson_interval(8, 10)  # Wilson 1927; 0.4902, 0.9433 to four places
    assert (low, high) == pytest.approx((0.4902, 0.9433), abs=1e-4)


def test_rate_equals_torch_gaussian_kl():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(7, 5, generator=g), torch.randn(7, 5, generator=g)
    q = torch.distributions.Normal(mu.double(), (0.5 * logvar.double()).exp())
    p = torch.distributions.Normal(torch.zeros(7, 5, dtype=torch.float64), torch.ones(7, 5, dtype=torch.float64))
    truth = torch.distributions.kl_divergence(q, p).sum(1) / math.log(2)
    assert torch.allclose(rate_bits(mu, logvar), truth, atol=1e-10)


def test_distortion_psnr():
    x = torch.zeros(2, 3)
    d = distortion(x, x + 0.1)
    assert d["mse"] == pytest.approx(0.01)
    assert d["psnr"] == pytest.approx(10 * math.log10(4 / 0.01))


def test_active_units_count_varying_means_only():
    g = torch.Generator().manual_seed(0)
    mu = torch.cat([torch.randn(500, 3, generator=g), 0.01 * torch.randn(500, 2, generator=g)], 1)
    au = active_units(mu)
    assert (au["active"], au["dims"]) == (3, 5)
