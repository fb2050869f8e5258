import numpy as np
import torch
from sklearn.datasets import load_digits

from genlab.data import load_dataset
from genlab.data.quantize import from_levels, to_levels


def test_digits_on_17_level_grid_and_match_sklearn():
    ds = load_dataset("digits")
    assert ds.kind == "image" and ds.levels == 17 and ds.num_classes == 10
    assert ds.train.shape == (1500, 1, 8, 8) and ds.test.shape == (297, 1, 8, 8)
    assert ds.train.dtype == torch.float32 and ds.train_labels.dtype == torch.int64
    for x in (ds.train, ds.test):
        assert x.min() >= -1 and x.max() <= 1
        assert torch.equal(from_levels(to_levels(x, 17), 17), x)  # exactly on 2k/16 - 1
    # the split is a partition of sklearn's 1797 images, labels kept with their images
    d = load_digits()
    ref = sorted(zip(d.images.astype(np.int64).reshape(-1, 64).tolist(), d.target.tolist(), strict=True))
    ours = torch.cat([to_levels(ds.train, 17), to_levels(ds.test, 17)]).reshape(-1, 64).tolist()
    labels = torch.cat([ds.train_labels, ds.test_labels]).tolist()
    assert sorted(zip(ours, labels, strict=True)) == ref


def test_digits_split_fixed():
    a, b = load_dataset("digits"), load_dataset("digits")
    assert torch.equal(a.train, b.train) and torch.equal(a.test_labels, b.test_labels)


def test_digits_binarize():
    ds = load_dataset("digits", binarize=True)
    assert ds.levels == 2
    assert set(ds.train.unique().tolist()) == {-1.0, 1.0}
    raw = load_dataset("digits")
    assert torch.equal(ds.train > 0, raw.train > 0)
