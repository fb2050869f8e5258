"""Shared fixtures: sklearn digits as a genlab Dataset, and one evaluator trained on it per session."""

import pytest
import torch

from genlab.data.dataset import Dataset


def make_digits() -> Dataset:
    """8x8 digits on 17 levels (k/16 * 2 - 1), a seeded 1500/297 train/test split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32)[:, None] / 16 * 2 - 1  # [1797, 1, 8, 8]
    y = torch.tensor(d.target, dtype=torch.int64)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    tr, te = perm[:1500], perm[1500:]
    return Dataset("digits", "image", x[tr], x[te], 17, y[tr], y[te], 10)


@pytest.fixture(scope="session")
def digits() -> Dataset:
    return make_digits()


@pytest.fixture(scope="session")
def digits_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("genlab-cache")


@pytest.fixture(scope="session")
def digits_evaluator(digits, digits_cache):
    from genlab.evaluation.evaluator import load_or_train_evaluator

    mp = pytest.MonkeyPatch()
    mp.setenv("GENLAB_CACHE", str(digits_cache))
    try:
        yield load_or_train_evaluator(digits, "digits-test-fp", "cpu", progress=False)
    finally:
        mp.undo()
