"""Memorization: how often a generated sample sits closer to a training example than held-out data does.

Let d_test(j) be the distance from held-out (test) example j to its nearest training example, in
feature space, and tau the q-quantile of d_test (q = 0.05 by default). The memorization share is the
fraction of generated samples whose nearest training example is closer than tau. By construction a fresh
sample from the data distribution scores about q; copies of training examples score 1.
"""

from __future__ import annotations

import torch

from genlab.metrics.distances import DEFAULT_CHUNK, nearest_distances


def copy_threshold(test: torch.Tensor, train: torch.Tensor, quantile: float = 0.05,
                   chunk: int = DEFAULT_CHUNK) -> float:
    """tau: the `quantile` of test-to-nearest-train distances."""
    return float(torch.quantile(nearest_distances(test, train, chunk), quantile))


def memorization_share(generated: torch.Tensor, train: torch.Tensor, test: torch.Tensor | None,
                       quantile: float = 0.05, chunk: int = DEFAULT_CHUNK,
                       tau: float | None = None) -> dict[str, float]:
    """Share of generated rows nearer to a train row than tau, with tau and the quantile used; tau is
    copy_threshold(test, train, quantile) unless given (it depends on the data alone: callers cache it)."""
    if tau is None:
        if test is None:
            raise ValueError("memorization_share needs the held-out rows or their threshold tau")
        tau = copy_threshold(test, train, quantile, chunk)
    d_gen = nearest_distances(generated, train, chunk)  # [M]
    return {"share": float((d_gen < tau).double().mean()), "threshold": tau, "quantile": float(quantile),
            "median_nn_distance": float(d_gen.median())}
