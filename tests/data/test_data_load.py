import hashlib

import numpy as np
import pytest
import torch

from genlab.data import DATASETS, dataset_fingerprint, load_dataset
from genlab.errors import DataError


def test_registry_names():
    assert DATASETS == ["ring8", "grid25", "swissroll", "moons", "digits", "mnist", "fashion-mnist",
                        "cifar10"]


def test_unknown_name_lists_choices():
    with pytest.raises(DataError, match="unknown dataset 'mnistt'; choices: ring8, grid25, .*cifar10"):
        load_dataset("mnistt")


def test_options_checked():
    with pytest.raises(DataError, match="image_size do not apply to dataset 'ring8'"):
        load_dataset("ring8", image_size=32)
    ds = load_dataset("ring8", n_train=10, n_test=4, image_size=None)  # None means "not given"
    assert ds.train.shape == (10, 2) and ds.info.kind == "points" and ds.info.shape == (2,)
    with pytest.raises(DataError, match="binarize applies to images"):
        load_dataset("moons", n_train=10, n_test=4, binarize=True)


def test_info_of_digits():
    info = load_dataset("digits").info
    got = (info.name, info.kind, info.shape, info.levels, info.num_classes)
    assert got == ("digits", "image", (1, 8, 8), 17, 10)
    assert info.dim == 64


def test_binarize_npz(tmp_path):
    x = np.array([0, 127, 128, 255], np.uint8).reshape(1, 1, 2, 2).repeat(4, 0)
    np.savez(tmp_path / "b.npz", x_train=x, x_test=x[:1])
    ds = load_dataset(str(tmp_path / "b.npz"), binarize=True)
    assert ds.levels == 2
    assert ds.train[0, 0].tolist() == [[-1.0, -1.0], [1.0, 1.0]]  # threshold at the middle, 127.5


def test_fingerprint():
    a, b = load_dataset("ring8", n_train=50, n_test=10), load_dataset("ring8", n_train=50, n_test=10)
    fa = dataset_fingerprint(a)
    assert fa == dataset_fingerprint(b) and len(fa) == 64 and int(fa, 16) >= 0
    # independent recomputation from the documented recipe
    h = hashlib.sha256(b"ring8" + repr(((50, 2), (10, 2))).encode() + a.train.numpy().tobytes())
    assert fa == h.hexdigest()
    b.train[3, 1] += 1e-6
    assert dataset_fingerprint(b) != fa
    assert dataset_fingerprint(load_dataset("grid25", n_train=50, n_test=10)) != fa
    assert dataset_fingerprint(load_dataset("ring8", n_train=50, n_test=11)) != fa
    b.train = torch.tensor(a.train.numpy())
    b.name = "other"
    assert dataset_fingerprint(b) != fa
