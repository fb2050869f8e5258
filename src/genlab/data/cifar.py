"""CIFAR-10 from the binary version (cifar-10-batches-bin): records of 1 label byte + 3072 bytes CHW.

Read as plain bytes; the pickled python version is never unpickled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlab.data._common import from_uint8, resolve_data_dir
from genlab.data.dataset import Dataset
from genlab.errors import DataError

FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
RECORD = 1 + 3 * 32 * 32


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One .bin batch -> (uint8 images [N, 3, 32, 32], labels [N]); DataError if truncated or bad."""
    if not path.is_file():
        raise DataError(f"{path}: CIFAR-10 batch file not found; download the binary version "
                        f"(cifar-10-binary.tar.gz) and pass --data-dir or set GENLAB_DATA")
    try:
        size = path.stat().st_size  # checked before reading, so a file of the wrong length is never loaded
        if size == 0 or size % RECORD:
            raise DataError(f"{path}: {size} bytes is not a whole number of {RECORD}-byte records "
                            f"(truncated or not the binary version)")
        raw = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if raw.size != size:
        raise DataError(f"{path}: read {raw.size} bytes of {size}; the file changed while being read")
    rec = raw.reshape(-1, RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DataError(f"{path}: label {labels.max()} out of range 0..9; not a CIFAR-10 binary batch")
    return rec[:, 1:].reshape(-1, 3, 32, 32), labels


def find_cifar_dir(root: Path) -> Path:
    """root/cifar-10-batches-bin, root/cifar10/cifar-10-batches-bin, or root itself."""
    for d in (root / FOLDER, root / "cifar10" / FOLDER, root / "cifar10", root):
        if (d / TEST_FILES[0]).is_file():
            return d
    raise DataError(f"cifar10: {FOLDER}/{TEST_FILES[0]} not found under {root}; download the binary version "
                    f"(cifar-10-binary.tar.gz), extract it there, and pass --data-dir or set GENLAB_DATA")


def _read_all(d: Path, files: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    parts = [read_batch(d / f) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def load_cifar10(data_dir: str | None = None) -> Dataset:
    """CIFAR-10: [50000, 3, 32, 32] train, [10000, ...] test, 256 levels, labels 0..9."""
    d = find_cifar_dir(resolve_data_dir(data_dir, "cifar10"))
    xtr, ytr = _read_all(d, TRAIN_FILES)
    xte, yte = _read_all(d, TEST_FILES)
    return Dataset(
        name="cifar10", kind="image", train=from_uint8(xtr), test=from_uint8(xte), levels=256,
        train_labels=torch.from_numpy(ytr), test_labels=torch.from_numpy(yte), num_classes=10,
        meta={"source": str(d)},
    )
