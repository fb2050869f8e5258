"""Kernel Inception Distance (Binkowski et al. 2018): unbiased MMD^2 with a cubic polynomial kernel."""

from __future__ import annotations

import torch

from genlab.metrics.distances import as_float64


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """k(x, y) = (x.y / d + 1)^3 for all pairs, [N, M] (Binkowski et al. 2018, sec. 3)."""
    return (x @ y.T / x.shape[1] + 1) ** 3


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    """Unbiased MMD^2 estimate between samples x [m, D] and y [n, D] under the cubic kernel."""
    x, y = as_float64(x), as_float64(y)
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    # Gretton et al. 2012, eq. 3: sum_{i!=j} k(x_i,x_j)/(m(m-1)) + sum_{i!=j} k(y_i,y_j)/(n(n-1)) - 2 E k_xy
    t_xx = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    t_yy = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return float(t_xx + t_yy - 2 * k_xy.mean())


def kernel_distance(features1: torch.Tensor, features2: torch.Tensor, subset_size: int = 1000,
                    num_subsets: int = 100, seed: int = 0) -> tuple[float, float]:
    """KID: mean and standard deviation of MMD^2 over random subsets drawn without replacement."""
    x, y = as_float64(features1), as_float64(features2)
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError("KID needs at least two samples in each set")
    g = torch.Generator().manual_seed(seed)
    values = torch.tensor([
        mmd2_unbiased(x[torch.randperm(len(x), generator=g)[:size].to(x.device)],
                      y[torch.randperm(len(y), generator=g)[:size].to(y.device)])
        for _ in range(num_subsets)], dtype=torch.float64)
    std = float(values.std(unbiased=False)) if num_subsets > 1 else 0.0
    return float(values.mean()), std
