"""Standard errors of the sample metrics: a bootstrap over generated samples for the Frechet distance,
binomial and sample-mean errors for the k-NN metrics."""

from __future__ import annotations

import math

import numpy as np
import torch

from genlab.metrics.frechet import feature_stats

BOOTSTRAP = 50  # resamples for the FD standard error


class FrechetReference:
    """The reference set's Gaussian, with the square root of its covariance computed once, so each FD of a
    sample set (and each bootstrap resample) costs one symmetric eigendecomposition."""

    def __init__(self, reference: torch.Tensor):
        self.mu, self.sigma = feature_stats(reference)
        w, v = np.linalg.eigh((self.sigma + self.sigma.T) / 2)
        self.root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    def _fd(self, f: np.ndarray) -> float:
        mu, sigma = f.mean(0), np.atleast_2d(np.cov(f, rowvar=False))
        m = self.root @ sigma @ self.root
        tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
        # Heusel et al. 2017, eq. 6, with Tr((S_r S)^1/2) = Tr((S_r^1/2 S S_r^1/2)^1/2)
        d = self.mu - mu
        return float(max(d @ d + np.trace(self.sigma) + np.trace(sigma) - 2 * tr_sqrt, 0.0))

    def fd(self, samples: torch.Tensor) -> float:
        """FD of sample features [N, D] to the reference."""
        return self._fd(np.asarray(samples.detach().cpu().reshape(len(samples), -1), dtype=np.float64))

    def fd_with_se(self, samples: torch.Tensor, seed: int = 0, n_boot: int = BOOTSTRAP) -> tuple[float, float]:
        """(FD, its bootstrap standard error over the samples), the reference held fixed (Efron 1979)."""
        f = np.asarray(samples.detach().cpu().reshape(len(samples), -1), dtype=np.float64)
        rng = np.random.default_rng(seed)
        boots = [self._fd(f[rng.integers(0, len(f), len(f))]) for _ in range(n_boot)]
        return self._fd(f), float(np.std(boots, ddof=1))


def frechet_with_se(reference: torch.Tensor, samples: torch.Tensor, seed: int = 0,
                    n_boot: int = BOOTSTRAP) -> tuple[float, float]:
    """(FD, bootstrap standard error over the samples) of samples against reference features."""
    return FrechetReference(reference).fd_with_se(samples, seed, n_boot)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a share p measured on n independent indicators: sqrt(p (1 - p) / n)."""
    return math.sqrt(max(p * (1 - p), 0.0) / max(n, 1))


def kid_se(kid_std: float, subset_size: int, n: int) -> float:
    """Approximate standard error of KID's subset mean: the subset spread scaled by sqrt(subset / n).

    A subset of size m has the spread kid_std; the average over subsets that together cover n samples has
    roughly the variance of one estimate on n samples, which shrinks like m / n for this U-statistic."""
    return kid_std * math.sqrt(min(subset_size, n) / max(n, 1))
