"""Quality curves: FD during training (a probe the trainer calls) and FD against the number of sampling steps."""

from __future__ import annotations

import time

import torch

from genlab.data.dataset import Dataset
from genlab.evaluation.generate import as_data, generate
from genlab.metrics.frechet import frechet_distance

# Sampler -> step counts for the quality-against-steps curve (ancestral DDPM is the 1000-step reference).
STEP_GRID = {"ddpm": (100, 1000), "ddim": (5, 10, 20, 50, 100), "dpm_solver": (5, 10, 20),
             "sde_dpm_solver": (5, 10, 20)}
CURVE_SEED = 12345  # every point of every curve sees the same seeds, so curves differ by the model alone


def sample_fd(model, data: Dataset, evaluator, ref: torch.Tensor, n: int, **options) -> tuple[float, float]:
    """(FD of n fixed-seed samples, seen as the metric suite sees them, to reference features `ref`;
    seconds spent sampling them)."""
    t0 = time.perf_counter()
    x = generate(model, n, seed=CURVE_SEED, batch_size=500, **options)
    seconds = time.perf_counter() - t0
    return frechet_distance(evaluator.features(as_data(x, data)), ref), seconds


def quality_probe(data: Dataset, evaluator, ref: torch.Tensor, n: int):
    """A function of the EMA model giving FD of n fixed-seed samples to the test split's features `ref`."""
    return lambda model: {"fd": sample_fd(model, data, evaluator, ref, n)[0]}


def quality_vs_steps(model, data: Dataset, evaluator, ref: torch.Tensor, n: int,
                     grid: dict | None = None) -> dict[str, list[list[float]]]:
    """For each sampler: [steps, FD, seconds per image] at each step count of the grid (default STEP_GRID)."""
    out: dict[str, list[list[float]]] = {}
    for sampler, counts in (grid or STEP_GRID).items():
        for steps in counts:
            fd, seconds = sample_fd(model, data, evaluator, ref, n, sampler=sampler, steps=steps)
            out.setdefault(sampler, []).append([steps, fd, seconds / n])
    return out
