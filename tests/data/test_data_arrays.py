import numpy as np
import pytest
import torch

from genlab.data import load_dataset
from genlab.data.quantize import to_levels
from genlab.errors import DataError


def test_npz_split_keys_nhwc_uint8(tmp_path):
    rng = np.random.default_rng(0)
    xtr = rng.integers(0, 256, (5, 6, 7, 3), dtype=np.uint8)  # NHWC
    xte = rng.integers(0, 256, (2, 6, 7, 3), dtype=np.uint8)
    ytr, yte = np.array([0, 1, 2, 1, 0]), np.array([2, 0])
    p = tmp_path / "set.npz"
    np.savez(p, x_train=xtr, x_test=xte, y_train=ytr, y_test=yte)
    ds = load_dataset(str(p))
    assert ds.name == "set" and ds.kind == "image" and ds.levels == 256 and ds.num_classes == 3
    assert ds.train.shape == (5, 3, 6, 7) and ds.train.dtype == torch.float32
    assert np.array_equal(to_levels(ds.train, 256).numpy(), xtr.transpose(0, 3, 1, 2))
    assert np.array_equal(to_levels(ds.test, 256).numpy(), xte.transpose(0, 3, 1, 2))
    assert ds.train_labels.dtype == torch.int64 and ds.train_labels.tolist() == ytr.tolist()


def test_npz_nchw_and_nhw(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (4, 1, 5, 5), dtype=np.uint8)
    np.savez(tmp_path / "a.npz", x_train=x, x_test=x[:1])
    assert load_dataset(str(tmp_path / "a.npz")).train.shape == (4, 1, 5, 5)
    np.savez(tmp_path / "b.npz", x_train=x[:, 0], x_test=x[:1, 0])
    assert load_dataset(str(tmp_path / "b.npz")).train.shape == (4, 1, 5, 5)


def test_npy_points_fixed_fraction_split(tmp_path):
    pts = np.random.default_rng(2).uniform(-1, 1, (50, 2)).astype(np.float32)
    p = tmp_path / "pts.npy"
    np.save(p, pts)
    ds = load_dataset(str(p))
    assert ds.kind == "points" and ds.levels is None
    assert ds.train.shape == (45, 2) and ds.test.shape == (5, 2)
    both = torch.cat([ds.train, ds.test]).numpy()
    assert sorted(map(tuple, both.tolist())) == sorted(map(tuple, pts.tolist()))  # a partition
    again = load_dataset(str(p))
    assert torch.equal(again.train, ds.train) and torch.equal(again.test, ds.test)


def test_float_images_with_levels(tmp_path):
    x = np.linspace(-1, 1, 4 * 64, dtype=np.float32).reshape(4, 1, 8, 8)
    np.savez(tmp_path / "f.npz", x=x)
    ds = load_dataset(str(tmp_path / "f.npz"), levels=256)
    assert ds.levels == 256 and len(ds.train) == 3 and len(ds.test) == 1


def test_object_array_npy_needs_pickle(tmp_path):
    p = tmp_path / "obj.npy"
    np.save(p, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="obj.npy.*would need pickle"):
        load_dataset(str(p))


def test_object_array_npz_needs_pickle(tmp_path):
    p = tmp_path / "obj.npz"
    np.savez(p, x_train=np.zeros((3, 2), np.float32), x_test=np.array([[1, "a"]], dtype=object))
    with pytest.raises(DataError, match="'x_test' in .*obj.npz.*would need pickle"):
        load_dataset(str(p))


def test_float_out_of_range(tmp_path):
    p = tmp_path / "big.npy"
    np.save(p, np.full((10, 2), 3.0, np.float32))
    with pytest.raises(DataError, match=r"big.npy: values out of range \[3, 3\]"):
        load_dataset(str(p))


def test_bad_keys_and_shapes(tmp_path):
    np.savez(tmp_path / "k.npz", a=np.zeros((3, 2)), b=np.zeros((3, 2)))
    with pytest.raises(DataError, match="k.npz: keys"):
        load_dataset(str(tmp_path / "k.npz"))
    np.save(tmp_path / "s.npy", np.zeros((4, 5, 6, 7), np.uint8))
    with pytest.raises(DataError, match=r"s.npy: array of shape \(4, 5, 6, 7\)"):
        load_dataset(str(tmp_path / "s.npy"))


def test_missing_and_corrupt(tmp_path):
    with pytest.raises(DataError, match="gone.npz: no such file"):
        load_dataset(str(tmp_path / "gone.npz"))
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="bad.npz"):
        load_dataset(str(tmp_path / "bad.npz"))
    np.save(tmp_path / "t.npy", np.zeros((100, 2), np.float32))
    data = (tmp_path / "t.npy").read_bytes()
    (tmp_path / "t.npy").write_bytes(data[:-40])
    with pytest.raises(DataError, match="t.npy"):
        load_dataset(str(tmp_path / "t.npy"))
