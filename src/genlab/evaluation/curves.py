"""Quality curves: FD during training (a probe the trainer calls) and FD against the number of sampling steps."""

from __future__ import annotations

import time

import torch

from genlab.data.dataset import Dataset
from genlab.evaluation.generate import as_data, generate
from genlab.evaluation.uncertainty import FrechetReference

# Sampler -> step counts for the quality-against-steps curve (ancestral DDPM is the 1000-step reference).
STEP_GRID = {"ddpm": (100, 1000), "ddim": (5, 10, 20, 50, 100), "dpm_solver": (5, 10, 20),
             "sde_dpm_solver": (5, 10, 20)}
CURVE_SEED = 12345  # every point of every curve sees the same seeds, so curves differ by the model alone


def sample_fd(model, data: Dataset, evaluator, ref: torch.Tensor | FrechetReference, n: int,
              **options) -> tuple[float, float, float]:
    """(FD of n fixed-seed samples, seen as the metric suite sees them, to reference features `ref`; its
    bootstrap standard error; seconds spent sampling them)."""
    ref = ref if isinstance(ref, FrechetReference) else FrechetReference(ref)
    t0 = time.perf_counter()
    x = generate(model, n, seed=CURVE_SEED, batch_size=500, **options)
    seconds = time.perf_counter() - t0
    fd, se = ref.fd_with_se(evaluator.features(as_data(x, data)), seed=CURVE_SEED)
    return fd, se, seconds


def quality_probe(data: Dataset, evaluator, ref: torch.Tensor, n: int):
    """A function of the EMA model giving FD (and its standard error) of n fixed-seed samples to `ref`."""
    fref = FrechetReference(ref)

    def probe(model) -> dict[str, float]:
        fd, se, _ = sample_fd(model, data, evaluator, fref, n)
        return {"fd": fd, "fd_se": se}

    return probe


def quality_vs_steps(model, data: Dataset, evaluator, ref: torch.Tensor, n: int,
                     grid: dict | None = None) -> dict[str, list[list[float]]]:
    """For each sampler: [steps, FD, seconds per image, FD's standard error] at each step count of the grid
    (default STEP_GRID)."""
    fref = FrechetReference(ref)
    out: dict[str, list[list[float]]] = {}
    for sampler, counts in (grid or STEP_GRID).items():
        for steps in counts:
            fd, se, seconds = sample_fd(model, data, evaluator, fref, n, sampler=sampler, steps=steps)
            out.setdefault(sampler, []).append([steps, fd, seconds / n, se])
    return out
