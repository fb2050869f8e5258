"""scikit-learn's bundled 8x8 handwritten digits (UCI optdigits test set): 1797 images, values 0..16."""

from __future__ import annotations

import numpy as np
import torch

from genlab.data._common import fixed_split
from genlab.data.dataset import Dataset

LEVELS = 17
N_TEST = 297


def load_digits_dataset() -> Dataset:
    """[N, 1, 8, 8] images x = 2k/16 - 1 on the 17-level grid; fixed 1500 / 297 split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    k = d.images.astype(np.int64).reshape(-1, 1, 8, 8)
    x = torch.from_numpy(k).float() * (2.0 / (LEVELS - 1)) - 1.0
    y = torch.from_numpy(d.target.astype(np.int64))
    tr, te = fixed_split(len(k), N_TEST)
    return Dataset(
        name="digits", kind="image", train=x[tr], test=x[te], levels=LEVELS,
        train_labels=y[tr], test_labels=y[te], num_classes=10, meta={"source": "sklearn.load_digits"},
    )
