import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data import load_dataset
from genlab.data.quantize import to_levels
from genlab.errors import DataError


def _rgb(rng, h=8, w=8):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_png_rgb_class_folders_exact(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {}
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(6):
            a = _rgb(rng)
            Image.fromarray(a).save(tmp_path / cls / f"{i}.png")
            arrays[(cls, i)] = a
    ds = load_dataset(str(tmp_path))
    assert ds.kind == "image" and ds.levels == 256 and ds.num_classes == 2
    assert ds.train.shape[1:] == (3, 8, 8) and len(ds.train) + len(ds.test) == 12
    assert len(ds.test) == 1  # round(10% of 12)
    assert ds.meta["classes"] == ["cats", "dogs"]
    # PNG is lossless: every stored image is exactly one of the originals, with its class label
    x = torch.cat([ds.train, ds.test])
    y = torch.cat([ds.train_labels, ds.test_labels])
    found = set()
    for img, label in zip(to_levels(x, 256).numpy(), y.tolist(), strict=True):
        hwc = img.transpose(1, 2, 0)
        key = next(k for k, a in arrays.items() if np.array_equal(a, hwc))
        assert ["cats", "dogs"].index(key[0]) == label
        found.add(key)
    assert len(found) == 12
    again = load_dataset(str(tmp_path))
    assert torch.equal(again.train, ds.train) and torch.equal(again.test, ds.test)


def test_flat_grayscale_and_channels_option(tmp_path):
    rng = np.random.default_rng(1)
    grays = []
    for i in range(10):
        a = rng.integers(0, 256, (6, 5), dtype=np.uint8)
        Image.fromarray(a).save(tmp_path / f"g{i:02d}.png")
        grays.append(a)
    ds = load_dataset(str(tmp_path))
    assert ds.train.shape[1:] == (1, 6, 5) and ds.train_labels is None and ds.num_classes is None
    all_x = to_levels(torch.cat([ds.train, ds.test]), 256)[:, 0].numpy().astype(np.uint8)
    assert sorted(a.tobytes() for a in all_x) == sorted(a.tobytes() for a in grays)
    rgb = load_dataset(str(tmp_path), channels=3)
    assert rgb.train.shape[1:] == (3, 6, 5)
    assert torch.equal(rgb.train[:, 0], rgb.train[:, 1]) and torch.equal(rgb.train[:, 0], ds.train[:, 0])


def test_jpeg_resize_constant_colour(tmp_path):
    # a constant-colour image stays that colour under any resampling filter (JPEG is exact on flat blocks
    # only up to rounding, so allow one level)
    colours = [(200, 30, 90), (10, 250, 128), (0, 0, 0), (255, 255, 255)]
    for i, c in enumerate(colours):
        Image.new("RGB", (16, 12), c).save(tmp_path / f"{i}.jpg", quality=95)
    ds = load_dataset(str(tmp_path), image_size=4)
    assert ds.train.shape[1:] == (3, 4, 4)
    x = to_levels(torch.cat([ds.train, ds.test]), 256)
    means = sorted(tuple(round(v) for v in img.float().mean((1, 2)).tolist()) for img in x)
    for got, want in zip(means, sorted(colours), strict=True):
        assert max(abs(g - w) for g, w in zip(got, want, strict=True)) <= 2
    assert (x.float() - x.float().mean((2, 3), keepdim=True)).abs().max() <= 2
    gray = load_dataset(str(tmp_path), image_size=4, channels=1)
    assert gray.train.shape[1:] == (1, 4, 4)


def test_mixed_sizes(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    Image.new("RGB", (9, 8)).save(tmp_path / "b.png")
    msg = r"images of mixed sizes \(a.png is 8x8, b.png is 9x8\); pass image_size"
    with pytest.raises(DataError, match=msg):
        load_dataset(str(tmp_path))
    ds = load_dataset(str(tmp_path), image_size=8)
    assert ds.train.shape[1:] == (3, 8, 8)


def test_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match=f"{tmp_path}: no PNG or JPEG images"):
        load_dataset(str(tmp_path))


def test_corrupt_image(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DataError, match="broken.png: unreadable or corrupt image"):
        load_dataset(str(tmp_path))


def test_truncated_png(tmp_path):
    Image.fromarray(_rgb(np.random.default_rng(2), 32, 32)).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "b.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="b.png: unreadable or corrupt image"):
        load_dataset(str(tmp_path))


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match="nope: no such file or folder"):
        load_dataset(str(tmp_path / "nope"))


def test_16bit_png_scaled_to_8bit(tmp_path):
    k = np.arange(16, dtype=np.uint16).reshape(4, 4) * 17  # 8-bit levels 0, 17, ..., 255
    for i in range(2):
        Image.fromarray(k * 257).save(tmp_path / f"{i}.png")  # 16-bit: v16 = 257 * v8 exactly
    assert Image.open(tmp_path / "0.png").mode.startswith("I")
    ds = load_dataset(str(tmp_path))
    assert ds.train.shape[1:] == (1, 4, 4)
    assert np.array_equal(to_levels(ds.train[0, 0], 256).numpy(), k)
