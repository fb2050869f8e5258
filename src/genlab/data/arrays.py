"""Datasets stored as NumPy .npz/.npy arrays, loaded without pickle.

.npz: keys x_train and x_test (optionally y_train, y_test), or a single array (key x, optional y)
that is split by a fixed 10% test fraction. .npy: one array, split the same way.
uint8 arrays are 8-bit levels (scaled to [-1, 1], levels=256); float arrays must already lie in [-1, 1].
Images may be NCHW, NHWC or [N, H, W]; [N, 2] arrays are 2-D points.
"""

from __future__ import annotations

import math
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch

from genlab.data._common import fixed_split, from_uint8, test_count
from genlab.data.dataset import Dataset
from genlab.data.images import MAX_IMAGE_SIDE
from genlab.errors import DataError

MAX_NDIM, MAX_DIM = 4, 2**31 - 1  # NCHW at most; no axis longer than numpy's 32-bit index
DEFLATE_MAX_RATIO = 1032  # deflate never expands data more than ~1032:1: a member can't hold more than this
_NPY_MAGIC, _ZIP_MAGICS = b"\x93NUMPY", (b"PK\x03\x04", b"PK\x05\x06")
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def read_array_file(path: Path) -> dict[str, np.ndarray]:
    """Every array of a .npy (key 'x') or .npz file, never unpickled; each header (shape, dtype) is checked
    against the bytes actually present before any data is read. DataError names the file and the problem."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            magic = f.read(len(_NPY_MAGIC))
            if magic == _NPY_MAGIC:
                f.seek(0)
                return {"x": _read_npy(str(path), f, size)}
        if magic[:4] in _ZIP_MAGICS:
            return _read_npz(path, size)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise DataError(f"{path}: corrupt or truncated array file ({_one_line(e)})") from None
    except NotImplementedError as e:  # zipfile: a zip version or feature it cannot read
        raise DataError(f"{path}: unsupported zip archive ({_one_line(e)}); write it with np.savez") from None
    raise DataError(f"{path}: not a .npy or .npz file (it starts with {magic!r})")


def _read_npz(path: Path, size: int) -> dict[str, np.ndarray]:
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                raise DataError(f"{path}: member '{info.filename}' is not a .npy array")
            key = info.filename[: -len(".npy")]
            where = f"array '{key}' in {path}"
            if info.flag_bits & 0x1:
                raise DataError(f"{where} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise DataError(f"{where}: zip compression method {info.compress_type} not supported "
                                f"(np.savez and np.savez_compressed write stored or deflated members)")
            ratio = 1 if info.compress_type == zipfile.ZIP_STORED else DEFLATE_MAX_RATIO
            with zf.open(info) as f:
                out[key] = _read_npy(where, f, min(info.file_size, ratio * min(info.compress_size, size)))
    return out


def _read_npy(where: str, f, available: int) -> np.ndarray:
    """One .npy stream of at most `available` bytes: header, checks, then exactly the declared data."""
    try:
        version = np.lib.format.read_magic(f)
        if version not in _HEADER_READERS:
            raise DataError(f"{where}: .npy format version {version[0]}.{version[1]} not supported (1.0 or 2.0)")
        shape, fortran, dtype = _HEADER_READERS[version](f)
    except (ValueError, tokenize.TokenError) as e:  # numpy re-tokenizes a header that is not a dict literal
        raise DataError(f"{where}: not a valid .npy array ({_one_line(e)})") from None
    if dtype.hasobject:
        raise DataError(f"{where} is an object array and would need pickle; save plain numeric arrays "
                        f"(np.savez with uint8 or float32 data)")
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise DataError(f"{where}: dtype {dtype} not supported; use uint8 (0..255) or floats in [-1, 1]")
    if len(shape) > MAX_NDIM or any(not 0 <= d <= MAX_DIM for d in shape):
        raise DataError(f"{where}: shape {shape} is not an array genlab reads (at most {MAX_NDIM} dimensions "
                        f"of 0 to {MAX_DIM})")
    count = math.prod(shape)
    need, left = count * dtype.itemsize, available - f.tell()
    if need > left:
        raise DataError(f"{where}: header declares shape {shape} of {dtype} ({need} bytes) but only {max(left, 0)} "
                        f"bytes follow; the file is truncated or its header is wrong")
    a = np.empty(count, dtype=dtype)
    buf, done = a.view(np.uint8), 0
    while done < need:
        got = f.readinto(buf[done:])
        if not got:
            raise DataError(f"{where}: truncated: {need} data bytes declared, {done} found")
        done += got
    return a.reshape(shape[::-1]).transpose() if fortran else a.reshape(shape)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _layout(path: Path, a: np.ndarray) -> tuple[np.ndarray, str]:
    """Put images in NCHW; recognise [N, 2] points. Images must be 1 to MAX_IMAGE_SIDE pixels per side."""
    if a.ndim == 2 and a.shape[1] == 2:
        return a, "points"
    x = None
    if a.ndim == 3:
        x = a[:, None]
    elif a.ndim == 4 and a.shape[1] in (1, 3):
        x = a
    elif a.ndim == 4 and a.shape[3] in (1, 3):
        x = a.transpose(0, 3, 1, 2)
    if x is None:
        raise DataError(f"{path}: array of shape {a.shape} is neither images (NCHW, NHWC or NHW with 1 or 3 "
                        f"channels) nor [N, 2] points")
    h, w = x.shape[2:]
    if not (0 < h <= MAX_IMAGE_SIDE and 0 < w <= MAX_IMAGE_SIDE):
        raise DataError(f"{path}: images of {h}x{w} pixels (array shape {a.shape}); genlab reads 1 to "
                        f"{MAX_IMAGE_SIDE} pixels per side")
    return x, "image"


def _to_float(path: Path, a: np.ndarray, levels: int | None) -> tuple[torch.Tensor, int | None]:
    if a.dtype == np.uint8:
        return from_uint8(np.ascontiguousarray(a)), 256
    if not np.issubdtype(a.dtype, np.floating):
        raise DataError(f"{path}: dtype {a.dtype} not supported; use uint8 (0..255) or floats in [-1, 1]")
    if not np.isfinite(a).all():
        raise DataError(f"{path}: {a.size - np.isfinite(a).sum()} values are NaN or infinite; float arrays must "
                        f"hold finite values in [-1, 1]")
    if a.size and (a.min() < -1 or a.max() > 1):
        raise DataError(f"{path}: values out of range [{a.min():.4g}, {a.max():.4g}]; float arrays "
                        f"must lie in [-1, 1] (or store uint8 0..255)")
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)), levels


def _labels(path: Path, y: np.ndarray | None, n: int) -> torch.Tensor | None:
    if y is None:
        return None
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer) or (n and y.min() < 0):
        raise DataError(f"{path}: labels must be non-negative integers of shape ({n},), "
                        f"got {y.dtype} {y.shape}")
    return torch.from_numpy(y.astype(np.int64))


def load_arrays(path: str | Path, levels: int | None = None, test_fraction: float = 0.1) -> Dataset:
    """A .npz/.npy dataset (see module doc) as a Dataset; float data may declare its `levels`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    arrays = read_array_file(path)
    if "x_train" in arrays and "x_test" in arrays:
        parts = {"train": (arrays["x_train"], arrays.get("y_train")),
                 "test": (arrays["x_test"], arrays.get("y_test"))}
    else:
        key = "x" if "x" in arrays else (next(iter(arrays)) if len(arrays) == 1 else None)
        if key is None:
            raise DataError(f"{path}: keys {sorted(arrays)} not understood; use x_train/x_test "
                            f"(+ y_train/y_test) or a single array x (+ y)")
        x, y = _layout(path, arrays[key])[0], arrays.get("y")
        if len(x) < 2:
            raise DataError(f"{path}: {len(x)} examples; need at least 2 for a train/test split")
        _labels(path, y, len(x))  # checked before it is split with x
        tr, te = fixed_split(len(x), test_count(len(x), test_fraction))
        parts = {"train": (x[tr], None if y is None else y[tr]),
                 "test": (x[te], None if y is None else y[te])}
    out, kinds = {}, set()
    for split, (x, y) in parts.items():
        x, kind = _layout(path, x)
        if len(x) == 0:
            raise DataError(f"{path}: the {split} set is empty (array shape {x.shape})")
        xt, lv = _to_float(path, x, levels)
        out[split] = (xt, lv, _labels(path, y, len(x)))
        kinds.add(kind)
    (xtr, lv, ytr), (xte, _, yte) = out["train"], out["test"]
    if len(kinds) > 1 or xtr.shape[1:] != xte.shape[1:]:
        raise DataError(f"{path}: train shape {tuple(xtr.shape[1:])} and test shape "
                        f"{tuple(xte.shape[1:])} differ")
    num_classes = None
    if ytr is not None:
        num_classes = int(max(ytr.max(), yte.max() if yte is not None and len(yte) else 0)) + 1
    return Dataset(
        name=path.stem, kind=kinds.pop(), train=xtr, test=xte, levels=lv, train_labels=ytr, test_labels=yte,
        num_classes=num_classes, meta={"source": str(path)},
    )
