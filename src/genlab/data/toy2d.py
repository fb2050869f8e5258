"""Toy 2-D data: Gaussian mixtures on a ring and a grid, the swiss roll and two moons.

Stored points are x = (native - offset) / scale so they lie in [-1, 1]; Dataset.to_native undoes it.
Train and test use different fixed seeds, so the test set does not depend on n_train.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import torch

from genlab.data.dataset import Dataset
from genlab.errors import DataError

N_TRAIN, N_TEST = 20000, 5000

RING8_RADIUS, RING8_STD, RING8_SCALE = 2.0, 0.02, 2.5
GRID25_SPACING, GRID25_STD, GRID25_SCALE = 2.0, 0.05, 5.0
SWISSROLL_NOISE, SWISSROLL_SCALE = 0.25, 16.0  # |t cos t|, |t sin t| <= 4.5 pi ~ 14.1
MOONS_NOISE, MOONS_SCALE, MOONS_OFFSET = 0.05, 2.0, (0.5, 0.25)  # moons span x in [-1, 2], y in [-0.5, 1]

_SEEDS = {"ring8": 1, "grid25": 2, "swissroll": 3, "moons": 4}


def ring8_modes() -> torch.Tensor:
    """[8, 2] native centres: radius 2, angles 2 pi k / 8."""
    a = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return (RING8_RADIUS * torch.stack([a.cos(), a.sin()], dim=1)).float()


def grid25_modes() -> torch.Tensor:
    """[25, 2] native centres on {-4, -2, 0, 2, 4}^2."""
    c = (torch.arange(5, dtype=torch.float32) - 2) * GRID25_SPACING
    return torch.cartesian_prod(c, c)


def _mixture(modes: torch.Tensor, std: float, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    # separate streams for labels and noise: the first k points are the same for every n >= k
    label_rng, noise_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    labels = label_rng.integers(len(modes), size=n)
    noise = noise_rng.standard_normal((n, 2))
    points = modes.numpy().astype(np.float64)[labels] + std * noise  # [n, 2] native
    return torch.from_numpy(points), torch.from_numpy(labels).long()


def _swissroll(n: int, seed: int) -> tuple[torch.Tensor, None]:
    from sklearn.datasets import make_swiss_roll

    x, _ = make_swiss_roll(n, noise=SWISSROLL_NOISE, random_state=seed)
    return torch.from_numpy(x[:, [0, 2]]), None


def _moons(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=MOONS_NOISE, random_state=seed)
    return torch.from_numpy(x), torch.from_numpy(y).long()


def load_toy2d(name: str, n_train: int = N_TRAIN, n_test: int = N_TEST) -> Dataset:
    """One of ring8, grid25, swissroll, moons as [N, 2] float32 points in [-1, 1]."""
    if n_train < 1 or n_test < 1:
        raise DataError(f"{name}: n_train and n_test must be positive, got {n_train} and {n_test}")
    seed = _SEEDS[name] * 1000
    modes, mode_std, num_classes = None, None, None
    if name == "ring8":
        modes, mode_std, scale, offset = ring8_modes(), RING8_STD, RING8_SCALE, (0.0, 0.0)
        make, num_classes = partial(_mixture, modes, mode_std), 8
    elif name == "grid25":
        modes, mode_std, scale, offset = grid25_modes(), GRID25_STD, GRID25_SCALE, (0.0, 0.0)
        make, num_classes = partial(_mixture, modes, mode_std), 25
    elif name == "swissroll":
        scale, offset, make = SWISSROLL_SCALE, (0.0, 0.0), _swissroll
    else:
        scale, offset, make, num_classes = MOONS_SCALE, MOONS_OFFSET, _moons, 2
    (tr, tr_y), (te, te_y) = make(n_train, seed), make(n_test, seed + 1)
    off = torch.tensor(offset, dtype=torch.float64)
    train, test = ((p - off) / scale for p in (tr, te))
    return Dataset(
        name=name, kind="points", train=train.float(), test=test.float(),
        levels=None, train_labels=tr_y, test_labels=te_y, num_classes=num_classes,
        modes=modes, mode_std=mode_std, scale=scale, offset=offset,
        meta={"source": "toy2d", "n_train": n_train, "n_test": n_test},
    )
