"""Small helpers shared by the data sources: fixed splits, 8-bit scaling, data-dir lookup."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from genlab.errors import DataError

SPLIT_SEED = 0  # every shuffled split in genlab.data uses this seed, so splits never change


def fixed_split(n: int, n_test: int, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) of a seeded permutation of range(n); the same on every machine."""
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def test_count(n: int, fraction: float = 0.1) -> int:
    """Number of test examples for a fraction split: at least 1, leaving at least 1 for training."""
    return min(max(1, round(n * fraction)), n - 1)


def from_uint8(a: np.ndarray) -> torch.Tensor:
    """uint8 levels k in 0..255 -> float32 2k/255 - 1 (exactly on the 256-level grid)."""
    return torch.from_numpy(a.astype(np.float32) * (2.0 / 255.0) - 1.0)


def resolve_data_dir(data_dir: str | os.PathLike | None, name: str) -> Path:
    """The data directory: the argument, else env GENLAB_DATA; a DataError if neither is usable."""
    if data_dir is None:
        data_dir = os.environ.get("GENLAB_DATA")
    if not data_dir:
        raise DataError(f"dataset '{name}' reads files from a data directory: "
                        f"pass --data-dir or set GENLAB_DATA")
    path = Path(data_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise DataError(f"data directory {path} is a file, not a folder: pass --data-dir or set GENLAB_DATA")
    if not path.is_dir():
        raise DataError(f"data directory {path} does not exist: pass --data-dir or set GENLAB_DATA")
    return path
