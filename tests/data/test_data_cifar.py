import numpy as np
import pytest
import torch

from genlab.data import load_dataset
from genlab.data.quantize import to_levels
from genlab.errors import DataError


def write_cifar(root, n_per_batch=3, n_test=2, seed=0):
    d = root / "cifar-10-batches-bin"
    d.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    out = {}
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        n = n_test if name == "test_batch.bin" else n_per_batch
        x = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        y = rng.integers(0, 10, n, dtype=np.uint8)
        # each record: 1 label byte, then 1024 R, 1024 G, 1024 B bytes (row-major)
        (d / name).write_bytes(b"".join(bytes([y[i]]) + x[i].tobytes() for i in range(n)))
        out[name] = (x, y)
    return d, out


def test_cifar_round_trip(tmp_path):
    _, out = write_cifar(tmp_path)
    ds = load_dataset("cifar10", str(tmp_path))
    assert ds.kind == "image" and ds.levels == 256 and ds.num_classes == 10
    assert ds.train.shape == (15, 3, 32, 32) and ds.test.shape == (2, 3, 32, 32)
    xtr = np.concatenate([out[f"data_batch_{i}.bin"][0] for i in range(1, 6)])
    ytr = np.concatenate([out[f"data_batch_{i}.bin"][1] for i in range(1, 6)])
    assert np.array_equal(to_levels(ds.train, 256).numpy(), xtr)
    assert np.array_equal(to_levels(ds.test, 256).numpy(), out["test_batch.bin"][0])
    assert ds.train_labels.dtype == torch.int64 and ds.train_labels.tolist() == ytr.tolist()
    assert ds.test_labels.tolist() == out["test_batch.bin"][1].tolist()
    assert ds.train.min() >= -1 and ds.train.max() <= 1
    # channel order: the first 1024 bytes after the label are the red plane
    raw = (tmp_path / "cifar-10-batches-bin" / "data_batch_1.bin").read_bytes()
    red = np.frombuffer(raw[1:1025], np.uint8).reshape(32, 32)
    assert np.array_equal(to_levels(ds.train[0, 0], 256).numpy(), red)


def test_cifar_truncated(tmp_path):
    d, _ = write_cifar(tmp_path)
    data = (d / "data_batch_3.bin").read_bytes()
    (d / "data_batch_3.bin").write_bytes(data[:-10])
    with pytest.raises(DataError, match="data_batch_3.bin: .*not a whole number of 3073-byte records"):
        load_dataset("cifar10", str(tmp_path))


def test_cifar_missing_batch(tmp_path):
    d, _ = write_cifar(tmp_path)
    (d / "data_batch_4.bin").unlink()
    with pytest.raises(DataError, match="data_batch_4.bin: CIFAR-10 batch file not found"):
        load_dataset("cifar10", str(tmp_path))


def test_cifar_missing_folder(tmp_path):
    with pytest.raises(DataError, match="cifar-10-batches-bin/test_batch.bin not found.*GENLAB_DATA"):
        load_dataset("cifar10", str(tmp_path))


def test_cifar_bad_label(tmp_path):
    d, _ = write_cifar(tmp_path)
    data = bytearray((d / "test_batch.bin").read_bytes())
    data[0] = 200
    (d / "test_batch.bin").write_bytes(bytes(data))
    with pytest.raises(DataError, match="test_batch.bin: label 200 out of range"):
        load_dataset("cifar10", str(tmp_path))
