"""MNIST and Fashion-MNIST from their IDX files (plain or gzip), parsed with struct: no pickle.

IDX header: magic (2051 for a ubyte image file, 2049 for a ubyte label file), then one big-endian
uint32 size per dimension, then the raw bytes.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from genlab.data._common import from_uint8, resolve_data_dir
from genlab.data.dataset import Dataset
from genlab.data.images import MAX_IMAGE_SIDE
from genlab.errors import DataError

IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
NAMES = ("mnist", "fashion-mnist")
DEFLATE_MAX_RATIO = 1032  # the most a gzip (deflate) stream can expand


def read_idx(path: Path, magic: int) -> np.ndarray:
    """A uint8 IDX file as an array of its declared shape; DataError on wrong magic, truncation, or a
    declared shape that the file cannot hold (checked from the header, before the data is read)."""
    ndim = 3 if magic == IMAGES_MAGIC else 1
    header = 4 + 4 * ndim
    gz = path.suffix == ".gz"
    try:
        size = path.stat().st_size
        with gzip.open(path, "rb") if gz else open(path, "rb") as f:
            head = f.read(header)
            if len(head) >= 4 and struct.unpack(">I", head[:4])[0] != magic:
                kind = "image" if magic == IMAGES_MAGIC else "label"
                raise DataError(f"{path}: wrong IDX magic {struct.unpack('>I', head[:4])[0]}, expected {magic} "
                                f"for a {kind} file")
            if len(head) < header:
                raise DataError(f"{path}: truncated IDX file ({len(head)} bytes, header needs {header})")
            dims = struct.unpack(f">{ndim}I", head[4:])
            need = math.prod(dims)
            # a plain file holds exactly its data; gzip can't expand data more than ~1032:1
            room = size - header if not gz else size * DEFLATE_MAX_RATIO
            if need > room:
                raise DataError(f"{path}: header declares shape {dims} ({need} bytes) but the file "
                                f"{'holds' if not gz else 'can hold at most'} {room}; it is truncated or corrupt")
            raw = f.read(need + 1)  # one byte more than declared, to detect trailing data
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot read ({e}); the file is corrupt or truncated, "
                        f"download it again") from None
    if len(raw) < need:
        raise DataError(f"{path}: truncated IDX file: shape {dims} needs {need} data bytes, "
                        f"found {len(raw)}; download it again")
    if len(raw) > need:
        raise DataError(f"{path}: unexpected trailing bytes after shape {dims}")
    if ndim == 3 and (dims[0] == 0 or not (0 < dims[1] <= MAX_IMAGE_SIDE and 0 < dims[2] <= MAX_IMAGE_SIDE)):
        raise DataError(f"{path}: shape {dims}: need at least one image of 1 to {MAX_IMAGE_SIDE} pixels per side")
    return np.frombuffer(raw, dtype=np.uint8, count=need).reshape(dims)


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
