"""MNIST and Fashion-MNIST from their IDX files (plain or gzip), parsed with struct: no pickle.

IDX header: magic (2051 for a ubyte image file, 2049 for a ubyte label file), then one big-endian
uint32 size per dimension, then the raw bytes.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from genlab.data._common import from_uint8, resolve_data_dir
from genlab.data.dataset import Dataset
from genlab.errors import DataError

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
NAMES = ("mnist", "fashion-mnist")


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read ({e}); the file is corrupt or truncated, "
                        f"download it again") from e


def read_idx(path: Path, magic: int) -> np.ndarray:
    """A uint8 IDX file as an array of its declared shape; DataError on wrong magic or truncation."""
    raw = _read_bytes(path)
    ndim = 3 if magic == IMAGES_MAGIC else 1
    header = 4 + 4 * ndim
    if len(raw) >= 4:
        got = struct.unpack(">I", raw[:4])[0]
        if got != magic:
            kind = "image" if magic == IMAGES_MAGIC else "label"
            raise DataError(f"{path}: wrong IDX magic {got}, expected {magic} for a {kind} file")
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX file ({len(raw)} bytes, header needs {header})")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    need = int(np.prod(dims))
    if len(raw) - header < need:
        raise DataError(f"{path}: truncated IDX file: shape {dims} needs {need} data bytes, "
                        f"found {len(raw) - header}; download it again")
    if len(raw) - header > need:
        raise DataError(f"{path}: {len(raw) - header - need} unexpected trailing bytes after shape {dims}")
    return np.frombuffer(raw, dtype=np.uint8, count=need, offset=header).reshape(dims)


def find_idx_dir(root: Path, name: str) -> Path:
    """root/<name> (or torchvision's root/MNIST/raw layout) if it holds the IDX files, else root itself."""
    tv = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}[name]
    for d in (root / name, root / name.replace("-", "_"), root / tv / "raw", root):
        if all(_find_file(d, f) is not None for f in FILES.values()):
            return d
    want = ", ".join(f"{f}[.gz]" for f in FILES.values())
    raise DataError(f"{name}: IDX files not found in {root / name} or {root} (need {want}); "
                    f"pass --data-dir or set GENLAB_DATA, or fetch them with "
                    f"genlab.data.download.download('{name}', dir)")


def _find_file(d: Path, stem: str) -> Path | None:
    for p in (d / stem, d / f"{stem}.gz"):
        if p.is_file():
            return p
    return None


def _load_pair(d: Path, images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    ip, lp = _find_file(d, images), _find_file(d, labels)
    x, y = read_idx(ip, IMAGES_MAGIC), read_idx(lp, LABELS_MAGIC)
    if len(x) != len(y):
        raise DataError(f"{ip}: {len(x)} images but {lp.name} has {len(y)} labels")
    return x, y


def load_idx(name: str, data_dir: str | None = None) -> Dataset:
    """mnist or fashion-mnist: [N, 1, 28, 28] in [-1, 1], 256 levels, labels 0..9."""
    d = find_idx_dir(resolve_data_dir(data_dir, name), name)
    xtr, ytr = _load_pair(d, FILES["train_images"], FILES["train_labels"])
    xte, yte = _load_pair(d, FILES["test_images"], FILES["test_labels"])
    if xtr.shape[1:] != xte.shape[1:]:
        raise DataError(f"{d}: train images are {xtr.shape[1:]} but test images are {xte.shape[1:]}")
    return Dataset(
        name=name, kind="image", train=from_uint8(xtr[:, None]), test=from_uint8(xte[:, None]), levels=256,
        train_labels=torch.from_numpy(ytr.astype(np.int64)),
        test_labels=torch.from_numpy(yte.astype(np.int64)),
        num_classes=int(max(ytr.max(initial=0), yte.max(initial=0))) + 1, meta={"source": str(d)},
    )
