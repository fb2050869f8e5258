"""AUROC and FPR at 95% TPR against scikit-learn and against closed forms on Gaussian data."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm
from sklearn.metrics import roc_auc_score, roc_curve

from genlab.metrics.auroc import auroc, auroc_se, detection, fpr_at_tpr


def test_auroc_equals_sklearn_on_fixed_scores_with_ties():
    rng = np.random.default_rng(0)
    s_in = rng.integers(0, 20, 300).astype(float)  # many ties, inside and across the sets
    s_out = rng.integers(5, 25, 200).astype(float)
    truth = roc_auc_score(np.r_[np.zeros(300), np.ones(200)], np.r_[s_in, s_out])
    assert auroc(s_in, s_out) == pytest.approx(truth, abs=1e-12)


def test_fpr95_equals_sklearn_roc_curve():
    rng = np.random.default_rng(1)
    s_in, s_out = rng.normal(0, 1, 1000), rng.normal(1.5, 1, 800)
    fpr, tpr, _ = roc_curve(np.r_[np.zeros(1000), np.ones(800)], np.r_[s_in, s_out])
    assert fpr_at_tpr(s_in, s_out) == pytest.approx(fpr[np.searchsorted(tpr, 0.95)], abs=1e-12)
    assert fpr_at_tpr(np.arange(100.0), np.arange(50.0, 150.0)) == pytest.approx(0.45)


def test_identical_distributions_give_one_half():
    rng = np.random.default_rng(2)
    a = rng.normal(size=3000)
    assert auroc(a, a) == 0.5
    b = rng.normal(size=3000)
    area = auroc(a, b)
    assert abs(area - 0.5) < 4 * auroc_se(area, 3000, 3000)


def test_gaussian_density_ratio_reaches_closed_form():
    """The exact log-likelihood ratio log N(x; 3, 1) - log N(x; 0, 1) = 3x - 4.5 is monotone in x, so its AUROC is
    P(X_out > X_in) = Phi(3 / sqrt 2)."""
    rng = np.random.default_rng(3)
    x_in, x_out = rng.normal(0, 1, 20000), rng.normal(3, 1, 20000)

    def score(x):
        return norm.logpdf(x, 3, 1) - norm.logpdf(x, 0, 1)

    d = detection(score(x_in), score(x_out))
    assert abs(d["auroc"] - norm.cdf(3 / math.sqrt(2))) < 4 * d["auroc_se"]


def test_plain_gaussian_log_density_ranks_by_distance_from_zero():
    """-log N(x; 0, 1) ranks by |x|: its AUROC is P(|X_out| > |X_in|), integrated numerically (~0.9667)."""
    rng = np.random.default_rng(4)
    x_in, x_out = rng.normal(0, 1, 20000), rng.normal(3, 1, 20000)
    d = detection(-norm.logpdf(x_in), -norm.logpdf(x_out))

    def integrand(a):  # density of |X_in| at a, times P(|X_out| > a)
        return 2 * norm.pdf(a) * (1 - (norm.cdf(a - 3) - norm.cdf(-a - 3)))

    truth = integrate.quad(integrand, 0, np.inf)[0]
    assert truth == pytest.approx(0.9667, abs=5e-4)
    assert abs(d["auroc"] - truth) < 4 * d["auroc_se"]
