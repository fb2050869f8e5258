"""Datasets stored as NumPy .npz/.npy arrays, loaded without pickle.

.npz: keys x_train and x_test (optionally y_train, y_test), or a single array (key x, optional y)
that is split by a fixed 10% test fraction. .npy: one array, split the same way.
uint8 arrays are 8-bit levels (scaled to [-1, 1], levels=256); float arrays must already lie in [-1, 1].
Images may be NCHW, NHWC or [N, H, W]; [N, 2] arrays are 2-D points.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from genlab.data._common import fixed_split, from_uint8, test_count
from genlab.data.dataset import Dataset
from genlab.errors import DataError


def _get(path: Path, store, key: str | None) -> np.ndarray:
    try:
        return np.asarray(store if key is None else store[key])
    except ValueError as e:
        if "pickle" in str(e):
            where = f"array '{key}' in {path}" if key else str(path)
            raise DataError(f"{where} is an object array and would need pickle; save plain numeric arrays "
                            f"(np.savez with uint8 or float32 data)") from e
        raise DataError(f"{path}: cannot read array {key or ''} ({e})") from e
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: corrupt or truncated array file ({e})") from e


def _load_raw(path: Path) -> dict[str, np.ndarray]:
    try:
        store = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e):
            raise DataError(f"{path} holds an object array and would need pickle; "
                            f"save plain numeric arrays") from e
        raise DataError(f"{path}: not a valid .npy/.npz file ({e})") from e
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: corrupt or truncated array file ({e})") from e
    if isinstance(store, np.ndarray):
        return {"x": _get(path, store, None)}
    with store:
        return {k: _get(path, store, k) for k in store.files}


def _layout(path: Path, a: np.ndarray) -> tuple[np.ndarray, str]:
    """Put images in NCHW; recognise [N, 2] points."""
    if a.ndim == 2 and a.shape[1] == 2:
        return a, "points"
    if a.ndim == 3:
        return a[:, None], "image"
    if a.ndim == 4:
        if a.shape[1] in (1, 3):
            return a, "image"
        if a.shape[3] in (1, 3):
            return a.transpose(0, 3, 1, 2), "image"
    raise DataError(f"{path}: array of shape {a.shape} is neither images (NCHW, NHWC or NHW with 1 or 3 "
                    f"channels) nor [N, 2] points")


def _to_float(path: Path, a: np.ndarray, levels: int | None) -> tuple[torch.Tensor, int | None]:
    if a.dtype == np.uint8:
        return from_uint8(np.ascontiguousarray(a)), 256
    if not np.issubdtype(a.dtype, np.floating):
        raise DataError(f"{path}: dtype {a.dtype} not supported; use uint8 (0..255) or floats in [-1, 1]")
    if a.size and (not np.isfinite(a).all() or a.min() < -1 or a.max() > 1):
        raise DataError(f"{path}: values out of range [{np.nanmin(a):.4g}, {np.nanmax(a):.4g}]; float arrays "
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
    arrays = _load_raw(path)
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
        tr, te = fixed_split(len(x), test_count(len(x), test_fraction))
        parts = {"train": (x[tr], None if y is None else y[tr]),
                 "test": (x[te], None if y is None else y[te])}
    out, kinds = {}, set()
    for split, (x, y) in parts.items():
        x, kind = _layout(path, x)
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
