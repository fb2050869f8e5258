"""Data sources: every loader returns a Dataset of float32 tensors in [-1, 1] with a fixed split.

load_dataset(name) takes a registered name (DATASETS) or a path to an image folder or .npz/.npy file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

from genlab.data.config import DataConfig
from genlab.data.dataset import DataInfo, Dataset
from genlab.errors import DataError

TOY2D = ("ring8", "grid25", "swissroll", "moons")
DATASETS: list[str] = [*TOY2D, "digits", "mnist", "fashion-mnist", "cifar10"]

_OPTIONS = {
    "toy2d": {"n_train", "n_test"},
    "digits": {"binarize"},
    "idx": {"binarize"},
    "cifar10": {"binarize"},
    "folder": {"image_size", "channels", "binarize"},
    "arrays": {"levels", "binarize"},
}

__all__ = ["DATASETS", "DataInfo", "Dataset", "dataset_fingerprint", "load_data_from_config", "load_dataset"]


def _check_options(source: str, name: str, options: dict) -> None:
    unknown = sorted(set(options) - _OPTIONS[source])
    if unknown:
        raise DataError(f"option(s) {', '.join(unknown)} do not apply to dataset '{name}' "
                        f"(it accepts: {', '.join(sorted(_OPTIONS[source])) or 'none'})")


def _binarize(ds: Dataset) -> Dataset:
    """Threshold images at the middle of [-1, 1]: x -> {-1, 1}, levels = 2."""
    if ds.kind != "image":
        raise DataError(f"binarize applies to images, not to the 2-D points of '{ds.name}'")
    ds.train = torch.where(ds.train > 0, 1.0, -1.0)
    ds.test = torch.where(ds.test > 0, 1.0, -1.0)
    ds.levels = 2
    ds.meta["binarize"] = True
    return ds


def load_dataset(name: str, data_dir: str | None = None, **options) -> Dataset:
    """Load a registered dataset or a path (image folder, .npz, .npy); data_dir defaults to env GENLAB_DATA.

    Options: n_train/n_test (toy 2-D), image_size/channels (image folders), levels (float arrays),
    binarize (images -> {-1, 1}, levels 2). Options set to None are ignored.
    """
    if data_dir is not None and Path(data_dir).expanduser().is_file():
        raise DataError(f"data directory {data_dir} is a file, not a folder")
    options = {k: v for k, v in options.items() if v is not None}
    binarize = bool(options.pop("binarize", False))
    path = Path(name).expanduser()
    if name in TOY2D:
        from genlab.data.toy2d import load_toy2d

        _check_options("toy2d", name, options)
        ds = load_toy2d(name, **options)
    elif name == "digits":
        from genlab.data.digits import load_digits_dataset

        _check_options("digits", name, options)
        ds = load_digits_dataset()
    elif name in ("mnist", "fashion-mnist"):
        from genlab.data.idx import load_idx

        _check_options("idx", name, options)
        ds = load_idx(name, data_dir)
    elif name == "cifar10":
        from genlab.data.cifar import load_cifar10

        _check_options("cifar10", name, options)
        ds = load_cifar10(data_dir)
    elif path.suffix.lower() in (".npz", ".npy"):
        from genlab.data.arrays import load_arrays

        _check_options("arrays", name, options)
        ds = load_arrays(path, **options)
    elif path.is_dir():
        from genlab.data.folder import load_folder

        _check_options("folder", name, options)
        ds = load_folder(path, **options)
    elif os.sep in name or "/" in name or path.suffix:
        raise DataError(f"{name}: no such file or folder (expected an image folder or a .npz/.npy file)")
    else:
        raise DataError(f"unknown dataset '{name}'; choices: {', '.join(DATASETS)}, "
                        f"or a path to an image folder or a .npz/.npy file")
    return _binarize(ds) if binarize else ds


def load_data_from_config(cfg: DataConfig) -> Dataset:
    """The dataset a run config's [data] table names, with its image-folder options."""
    return load_dataset(cfg.name, data_dir=cfg.data_dir, image_size=cfg.image_size, channels=cfg.channels)


def dataset_fingerprint(ds: Dataset) -> str:
    """sha256 hex of the name, the train/test shapes and the train tensor's float32 bytes."""
    h = hashlib.sha256()
    h.update(ds.name.encode())
    h.update(repr((tuple(ds.train.shape), tuple(ds.test.shape))).encode())
    h.update(np.ascontiguousarray(ds.train.detach().cpu().float().numpy()).tobytes())
    return h.hexdigest()
