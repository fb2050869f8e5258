"""`genlab score`: samples from any library, scored under exactly the protocol `genlab evaluate` uses.

Everything that depends on the samples alone is measured (every feature space's fidelity and diversity with
standard errors, the real-vs-real floor, calibration, class coverage, memorization); what needs the model
(likelihood, reconstruction, speed) is not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlab.data import dataset_fingerprint
from genlab.data.dataset import Dataset
from genlab.errors import DataError
from genlab.evaluation.generate import as_data
from genlab.evaluation.protocol import build_manifest
from genlab.evaluation.sample_metrics import DC_K, PR_K, sample_sections, splits
from genlab.evaluation.spaces import feature_spaces

MAX_SAMPLES = 200_000


def _from_uint8(arr: np.ndarray, shape: tuple[int, ...], path: Path) -> torch.Tensor:
    """uint8 [N, H, W, C], [N, C, H, W] or [N, H, W] -> float [N, C, H, W] in [-1, 1], checked against shape."""
    c, h, w = shape
    if arr.ndim == 3 and c == 1:
        arr = arr[:, None]
    elif arr.ndim == 4 and arr.shape[1:] == (h, w, c):
        arr = arr.transpose(0, 3, 1, 2)
    if arr.shape[1:] != (c, h, w):
        raise DataError(f"{path}: samples of shape {arr.shape[1:]}, but the data's images are {shape} (C, H, W)")
    return torch.from_numpy(np.ascontiguousarray(arr)).float() / 127.5 - 1


def read_samples(path: str | Path, dataset: Dataset) -> torch.Tensor:
    """Samples in the data's own shape and range: an .npz (first array, or 'samples') / .npy array, or a folder
    of PNG/JPEG images. Images: uint8, or floats in [-1, 1]; 2-D points: floats in the data's own units."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_dir():
        from genlab.data.folder import list_images
        from genlab.data.images import open_image

        files = list_images(path)
        if not files:
            raise DataError(f"{path}: no PNG or JPEG images")
        mode = "L" if dataset.info.shape[0] == 1 else "RGB"
        arr = np.stack([np.asarray(open_image(f).convert(mode)) for f in files[:MAX_SAMPLES]])
        return _from_uint8(arr, tuple(dataset.info.shape), path)
    if path.suffix not in (".npz", ".npy"):
        raise DataError(f"{path}: give an .npz/.npy array or a folder of PNG images")
    from genlab.data.arrays import read_array_file

    arrays = read_array_file(path)
    if not arrays:
        raise DataError(f"{path}: holds no arrays")
    arr = arrays.get("samples", next(iter(arrays.values())))
    if arr.ndim < 2 or len(arr) < 2 or len(arr) > MAX_SAMPLES:
        raise DataError(f"{path}: expected between 2 and {MAX_SAMPLES} samples, got an array of shape {arr.shape}")
    if dataset.kind == "points":
        if arr.shape[1:] != tuple(dataset.info.shape) or not np.issubdtype(arr.dtype, np.floating):
            raise DataError(f"{path}: expected float points of shape [N, {dataset.info.shape[0]}], got "
                            f"{arr.dtype} {arr.shape}")
        x = torch.from_numpy(arr.astype(np.float32))
        return (x - torch.tensor(dataset.offset)) / dataset.scale
    if arr.dtype == np.uint8:
        return _from_uint8(arr, tuple(dataset.info.shape), path)
    if np.issubdtype(arr.dtype, np.floating) and arr.shape[1:] == tuple(dataset.info.shape):
        if not np.isfinite(arr).all() or arr.min() < -1 - 1e-6 or arr.max() > 1 + 1e-6:
            raise DataError(f"{path}: float images must be finite and in [-1, 1]")
        return torch.from_numpy(arr.astype(np.float32))
    raise DataError(f"{path}: expected uint8 images or floats in [-1, 1] of shape [N, {dataset.info.shape}], "
                    f"got {arr.dtype} {arr.shape}")


def score(samples: torch.Tensor, dataset: Dataset, *, device: str | torch.device = "cpu", seed: int = 0,
          evaluator=None, dinov2: str | None = None, kid_subset_size: int = 1000, kid_subsets: int = 100,
          memorization_quantile: float = 0.05, progress: bool = False) -> dict:
    """The sample-only sections of the metric suite, with the protocol manifest."""
    fingerprint = dataset_fingerprint(dataset)
    spaces, missing = feature_spaces(dataset, fingerprint, torch.device(device), progress, evaluator, dinov2)
    samples = as_data(samples, dataset)
    result = sample_sections(samples, dataset, spaces, fingerprint, seed, kid_subset_size, kid_subsets,
                             memorization_quantile)
    result["spaces_unavailable"] = missing
    first = spaces[0]
    ref_name, ref_x, _, _ = splits(dataset)
    result["protocol"] = build_manifest(
        dataset=dataset.name, fingerprint=fingerprint, feature_extractor=first.name, feature_sha256=first.sha256,
        n_samples=len(samples), reference_split=ref_name, n_reference=len(ref_x), seed=seed, batch_size=0,
        sample_options={"source": "samples file"}, nfe=None, kid_subset_size=kid_subset_size,
        kid_subsets=kid_subsets, prdc_k=(PR_K, DC_K), memorization_quantile=memorization_quantile,
        quantized_to_levels=dataset.kind == "image" and dataset.levels is not None,
        spaces={k: {"name": v["name"], "sha256": v["sha256"], "calibrated": v["calibration"]["passed"]}
                for k, v in result["spaces"].items()})
    return result
