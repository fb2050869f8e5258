import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from genlab.data import load_dataset
from genlab.data.quantize import to_levels
from genlab.errors import DataError

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _idx_bytes(a: np.ndarray) -> bytes:
    magic = 2051 if a.ndim == 3 else 2049
    return struct.pack(f">I{a.ndim}I", magic, *a.shape) + a.astype(np.uint8).tobytes()


def write_idx(d: Path, gz: bool, n_train=7, n_test=3, h=28, w=28, seed=0):
    rng = np.random.default_rng(seed)
    arrays = (rng.integers(0, 256, (n_train, h, w)), rng.integers(0, 10, n_train),
              rng.integers(0, 256, (n_test, h, w)), rng.integers(0, 10, n_test))
    d.mkdir(parents=True, exist_ok=True)
    for stem, a in zip(STEMS, arrays, strict=True):
        data = _idx_bytes(a)
        if gz:
            (d / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (d / stem).write_bytes(data)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_idx_round_trip(tmp_path, gz, name):
    xtr, ytr, xte, yte = write_idx(tmp_path / name, gz)
    ds = load_dataset(name, str(tmp_path))
    assert ds.name == name and ds.kind == "image" and ds.levels == 256
    assert ds.train.shape == (7, 1, 28, 28) and ds.test.shape == (3, 1, 28, 28)
    assert ds.train.dtype == torch.float32 and ds.train.min() >= -1 and ds.train.max() <= 1
    assert np.array_equal(to_levels(ds.train, 256)[:, 0].numpy(), xtr)
    assert np.array_equal(to_levels(ds.test, 256)[:, 0].numpy(), xte)
    assert ds.train_labels.dtype == torch.int64
    assert np.array_equal(ds.train_labels.numpy(), ytr) and np.array_equal(ds.test_labels.numpy(), yte)
    # 8-bit k sits at 2k/255 - 1 exactly as float32 arithmetic gives it
    assert torch.allclose(ds.train[:, 0], torch.from_numpy(xtr).float() / 127.5 - 1, atol=1e-6)


def test_idx_flat_dir_and_env(tmp_path, monkeypatch):
    xtr, *_ = write_idx(tmp_path, gz=False, h=5, w=4)
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path))
    ds = load_dataset("mnist")
    assert ds.train.shape == (7, 1, 5, 4)
    assert np.array_equal(to_levels(ds.train, 256)[:, 0].numpy(), xtr)


def test_no_data_dir(monkeypatch):
    monkeypatch.delenv("GENLAB_DATA", raising=False)
    with pytest.raises(DataError, match="pass --data-dir or set GENLAB_DATA"):
        load_dataset("mnist")


def test_missing_files(tmp_path):
    write_idx(tmp_path / "mnist", gz=True)
    os.remove(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.*pass --data-dir"):
        load_dataset("mnist", str(tmp_path))


def test_wrong_magic(tmp_path):
    d = tmp_path / "mnist"
    write_idx(d, gz=False)
    labels = (d / "train-labels-idx1-ubyte").read_bytes()
    (d / "train-images-idx3-ubyte").write_bytes(labels)  # a label file where images belong
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: wrong IDX magic 2049, expected 2051"):
        load_dataset("mnist", str(tmp_path))


@pytest.mark.parametrize("gz", [False, True])
def test_truncated(tmp_path, gz):
    d = tmp_path / "mnist"
    write_idx(d, gz=gz)
    name = "t10k-images-idx3-ubyte" + (".gz" if gz else "")
    data = (d / name).read_bytes()
    (d / name).write_bytes(data[: len(data) - 100])
    with pytest.raises(DataError, match=f"{name}.*(truncated|corrupt)"):
        load_dataset("mnist", str(tmp_path))


def test_truncated_header(tmp_path):
    d = tmp_path / "mnist"
    write_idx(d, gz=False)
    (d / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00")
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: truncated"):
        load_dataset("mnist", str(tmp_path))


def test_count_mismatch(tmp_path):
    d = tmp_path / "mnist"
    write_idx(d, gz=False)
    (d / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(6, np.uint8)))
    msg = "train-images-idx3-ubyte: 7 images but train-labels-idx1-ubyte has 6"
    with pytest.raises(DataError, match=msg):
        load_dataset("mnist", str(tmp_path))


def test_corrupt_gzip(tmp_path):
    d = tmp_path / "mnist"
    write_idx(d, gz=True)
    (d / "train-images-idx3-ubyte.gz").write_bytes(b"not a gzip file at all")
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: cannot read"):
        load_dataset("mnist", str(tmp_path))


REAL = Path("/work/shared/data/mnist")


@pytest.mark.skipif(not REAL.is_dir(), reason="real MNIST files not present")
def test_real_mnist():
    ds = load_dataset("mnist", str(REAL.parent))
    assert ds.train.shape == (60000, 1, 28, 28) and ds.test.shape == (10000, 1, 28, 28)
    # published class counts and mean training pixel (data README)
    assert ds.train_labels.bincount().tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert ds.test_labels.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs((ds.train.mean().item() + 1) * 127.5 - 33.318) < 1e-3


def test_torchvision_layout(tmp_path):
    xtr, *_ = write_idx(tmp_path / "FashionMNIST" / "raw", gz=False, h=4, w=4)
    ds = load_dataset("fashion-mnist", str(tmp_path))
    assert np.array_equal(to_levels(ds.train, 256)[:, 0].numpy(), xtr)
