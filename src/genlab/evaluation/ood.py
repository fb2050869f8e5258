"""Out-of-distribution sets for anomaly detection: a user-given dataset, Fashion-MNIST beside MNIST when it is on
disk (never downloaded), and for any image data the test split flipped, inverted or with its pixels shuffled."""

from __future__ import annotations

import torch

from genlab.data import load_dataset
from genlab.data.dataset import Dataset
from genlab.errors import DataError


def transformed_sets(x: torch.Tensor, seed: int = 0) -> dict[str, tuple[str, torch.Tensor]]:
    """name -> (what it is, tensor) built from in-distribution images x [N, C, H, W], or from 2-D points [N, 2]."""
    g = torch.Generator().manual_seed(seed)
    if x.dim() == 2:  # points: a uniform box around the data has no structure a model could have learnt
        return {"uniform": ("points drawn uniformly on [-1, 1]^2", torch.rand(x.shape, generator=g) * 2 - 1)}
    n, c, h, w = x.shape
    perm = torch.argsort(torch.rand(n, h * w, generator=g), dim=1)  # one pixel permutation per image
    shuffled = x.reshape(n, c, h * w).gather(2, perm[:, None, :].expand(n, c, h * w)).reshape(x.shape)
    return {"flipped": ("the test split upside down (vertical flip)", x.flip(-2)),
            "inverted": ("the test split with its values negated (x -> -x: black and white swapped)", -x),
            "shuffled": ("the test split with each image's pixels randomly permuted (same histogram, no shape)",
                         shuffled)}


def _matching(ds: Dataset, data: Dataset, what: str) -> torch.Tensor:
    if tuple(ds.test.shape[1:]) != tuple(data.test.shape[1:]):
        raise DataError(f"--ood {what}: its examples have shape {tuple(ds.test.shape[1:])}, the run's data "
                        f"{tuple(data.test.shape[1:])}")
    return ds.test


def ood_sets(data: Dataset, n: int, ood: str | None = None, data_dir: str | None = None,
             seed: int = 0, notes: list[str] | None = None) -> dict[str, dict]:
    """name -> {'what': description, 'x': up to n examples}: the user's set (`ood`, a name or path, its test
    split), Fashion-MNIST for MNIST when found locally, and the transformed test split. Why Fashion-MNIST is
    missing goes into `notes`."""
    out = {}
    if ood:
        out[ood] = {"what": f"the test split of '{ood}' (given with --ood)",
                    "x": _matching(load_dataset(ood, data_dir=data_dir), data, ood)[:n]}
    elif data.name == "mnist":
        try:
            fashion = load_dataset("fashion-mnist", data_dir=data_dir)
        except DataError as e:  # not on disk: no download, the transformed sets remain
            (notes if notes is not None else []).append(f"no Fashion-MNIST set: {e}")
        else:
            if fashion.meta.get("source") == data.meta.get("source"):  # the IDX fallback found MNIST's own files
                (notes if notes is not None else []).append("no Fashion-MNIST set: only MNIST's files were found")
            else:
                out["fashion-mnist"] = {"what": "the Fashion-MNIST test split (found on disk)",
                                        "x": _matching(fashion, data, "fashion-mnist")[:n]}
    for name, (what, x) in transformed_sets(data.test[:n], seed).items():
        out[name] = {"what": what, "x": x}
    return out
