import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from genlab.data import download as dl
from genlab.data import load_dataset
from genlab.errors import DataError

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _serve(src: Path, rng) -> dict[str, tuple[str, str]]:
    """Write four tiny IDX .gz files into src; return file -> (gz sha256, raw sha256) computed by hashlib."""
    src.mkdir()
    sums = {}
    for stem in STEMS:
        n = 4 if stem.startswith("train") else 2
        a = rng.integers(0, 256, (n, 3, 3)) if "images" in stem else rng.integers(0, 10, n)
        header = struct.pack(f">I{a.ndim}I", 2051 if a.ndim == 3 else 2049, *a.shape)
        raw = header + a.astype(np.uint8).tobytes()
        gz = gzip.compress(raw, mtime=0)
        (src / f"{stem}.gz").write_bytes(gz)
        sums[f"{stem}.gz"] = (hashlib.sha256(gz).hexdigest(), hashlib.sha256(raw).hexdigest())
    return sums


def test_download_verifies_and_loads(tmp_path, monkeypatch):
    sums = _serve(tmp_path / "server", np.random.default_rng(0))
    monkeypatch.setitem(dl.CHECKSUMS, "mnist", sums)
    out = dl.download("mnist", tmp_path / "data", base_url=(tmp_path / "server").as_uri())
    assert out == tmp_path / "data" / "mnist"
    assert sorted(p.name for p in out.iterdir()) == sorted(sums)  # no temp files left behind
    for name in sums:
        assert (out / name).read_bytes() == (tmp_path / "server" / name).read_bytes()
    ds = load_dataset("mnist", str(tmp_path / "data"))
    assert ds.train.shape == (4, 1, 3, 3) and ds.test.shape == (2, 1, 3, 3)


def test_download_accepts_recompressed_copy_by_content_hash(tmp_path, monkeypatch):
    sums = _serve(tmp_path / "server", np.random.default_rng(1))
    f = tmp_path / "server" / "t10k-labels-idx1-ubyte.gz"
    f.write_bytes(gzip.compress(gzip.decompress(f.read_bytes()), compresslevel=1, mtime=12345))
    assert hashlib.sha256(f.read_bytes()).hexdigest() != sums[f.name][0]
    monkeypatch.setitem(dl.CHECKSUMS, "mnist", sums)
    out = dl.download("mnist", tmp_path / "data", base_url=(tmp_path / "server").as_uri())
    assert (out / f.name).is_file()


def test_download_mismatch_deletes_and_raises(tmp_path, monkeypatch):
    sums = _serve(tmp_path / "server", np.random.default_rng(2))
    bad = tmp_path / "server" / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 8, mtime=0))
    monkeypatch.setitem(dl.CHECKSUMS, "mnist", sums)
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: sha256 mismatch"):
        dl.download("mnist", tmp_path / "data", base_url=(tmp_path / "server").as_uri())
    left = sorted(p.name for p in (tmp_path / "data" / "mnist").iterdir())
    assert left == ["train-images-idx3-ubyte.gz"]  # the bad file and its temp copy are gone


def test_download_real_constants_reject_fakes(tmp_path):
    _serve(tmp_path / "server", np.random.default_rng(3))
    with pytest.raises(DataError, match="sha256 mismatch"):
        dl.download("fashion-mnist", tmp_path / "data", base_url=(tmp_path / "server").as_uri())
    assert list((tmp_path / "data" / "fashion-mnist").iterdir()) == []


def test_download_unreachable_and_unknown(tmp_path):
    with pytest.raises(DataError, match="download failed"):
        dl.download("mnist", tmp_path / "data", base_url=(tmp_path / "nowhere").as_uri())
    assert list((tmp_path / "data" / "mnist").iterdir()) == []
    with pytest.raises(DataError, match="no download for 'cifar10'; choices: mnist, fashion-mnist"):
        dl.download("cifar10", tmp_path)


REAL = Path("/work/shared/data/mnist")


@pytest.mark.skipif(not REAL.is_dir(), reason="real MNIST files not present")
def test_real_mnist_files_pass_the_module_constants(tmp_path):
    out = dl.download("mnist", tmp_path, base_url=REAL.as_uri())
    assert sorted(p.name for p in out.iterdir()) == sorted(dl.CHECKSUMS["mnist"])
