import numpy as np
import pytest
import torch

from genlab.metrics.kid import kernel_distance, mmd2_unbiased


def _mmd2_loops(x, y):
    """Unbiased MMD^2 written out term by term (Gretton et al. 2012, eq. 3) with k = (x.y/d + 1)^3."""
    d = x.shape[1]

    def k(a, b):
        return (float(np.dot(a, b)) / d + 1) ** 3

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_mmd_matches_direct_formula():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(9, 3)) + 0.5
    assert mmd2_unbiased(torch.tensor(x), torch.tensor(y)) == pytest.approx(_mmd2_loops(x, y), rel=1e-10)


def test_single_full_subset_equals_mmd():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(30, 5, generator=g), torch.randn(30, 5, generator=g)
    mean, std = kernel_distance(x, y, subset_size=1000, num_subsets=1)
    # one subset of min(1000, 30, 30) = 30 rows: a permutation of each set, and MMD^2 is order-free
    assert std == 0.0
    assert mean == pytest.approx(mmd2_unbiased(x, y), rel=1e-10)


def test_kid_unbiased_near_zero_for_same_distribution_and_positive_for_shift():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(2000, 8, generator=g), torch.randn(2000, 8, generator=g)
    mean, std = kernel_distance(x, y, subset_size=400, num_subsets=50, seed=0)
    assert abs(mean) < 3 * std
    mean_s, std_s = kernel_distance(x, y + 0.5, subset_size=400, num_subsets=50, seed=0)
    assert mean_s > 10 * std_s and mean_s > 20 * abs(mean)


def test_kid_is_seeded():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(300, 4, generator=g), torch.randn(300, 4, generator=g)
    assert kernel_distance(x, y, 100, 5, seed=3) == kernel_distance(x, y, 100, 5, seed=3)
    assert kernel_distance(x, y, 100, 5, seed=3) != kernel_distance(x, y, 100, 5, seed=4)
