"""The one record every data source returns, and the small summary a model is built from."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch

from genlab.data.images import MAX_IMAGE_SIDE
from genlab.errors import DataError

Kind = Literal["image", "points"]


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about its data: shape, discreteness, labels. JSON-serializable."""

    name: str
    kind: Kind
    shape: tuple[int, ...]  # one example: (C, H, W) for images, (2,) for points
    levels: int | None  # discrete levels per value (256 for 8-bit, 17 for digits); None if continuous
    num_classes: int | None = None
    scale: float = 1.0  # points: native = x * scale + offset
    offset: tuple[float, ...] = (0.0, 0.0)

    @property
    def dim(self) -> int:
        """Number of scalar values per example (the 'dim' of bits/dim)."""
        n = 1
        for s in self.shape:
            n *= s
        return n

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "shape": list(self.shape), "levels": self.levels,
                "num_classes": self.num_classes, "scale": self.scale, "offset": list(self.offset)}

    @classmethod
    def from_json(cls, d: dict) -> DataInfo:
        """The inverse of to_json; a DataError says which field of a malformed record is wrong."""
        if not isinstance(d, dict):
            raise DataError(f"data info must be an object, got {type(d).__name__}")
        shape, offset = d.get("shape"), d.get("offset", [0.0, 0.0])
        image = d.get("kind") == "image" and _ints(shape, 3) and shape[0] in (1, 3) \
            and all(0 < s <= MAX_IMAGE_SIDE for s in shape[1:])
        checks = {
            "name": isinstance(d.get("name"), str),
            "kind and shape": image or (d.get("kind") == "points" and shape == [2]),
            # levels is required: a missing key would silently turn discrete data continuous (bits/dim changes)
            "levels": "levels" in d and (d["levels"] is None or (_ints([d["levels"]], 1) and d["levels"] >= 2)),
            "num_classes": d.get("num_classes") is None or (_ints([d["num_classes"]], 1) and d["num_classes"] >= 1),
            "scale": _finite([d.get("scale", 1.0)], 1),
            "offset": _finite(offset, 2),
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise DataError(f"data info has an invalid {bad[0]}")
        return cls(d["name"], d["kind"], tuple(shape), d.get("levels"), d.get("num_classes"),
                   float(d.get("scale", 1.0)), tuple(float(v) for v in offset))


def _ints(v, n: int) -> bool:
    return isinstance(v, list) and len(v) == n and all(isinstance(x, int) and not isinstance(x, bool) for x in v)


def _finite(v, n: int) -> bool:
    return isinstance(v, list) and len(v) == n and all(
        isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in v)


@dataclass
class Dataset:
    """Float tensors in [-1, 1] with a fixed train/test split.

    Images are [N, C, H, W]; 2-D points are [N, 2]. Discrete data sits exactly on the grid
    2k/(levels-1) - 1. Points are an affine map of their native coordinates:
    native = x * scale + offset (modes and mode_std are given in native coordinates).
    """

    name: str
    kind: Kind
    train: torch.Tensor
    test: torch.Tensor
    levels: int | None
    train_labels: torch.Tensor | None = None  # int64 [N], evaluation only
    test_labels: torch.Tensor | None = None
    num_classes: int | None = None
    modes: torch.Tensor | None = None  # [M, 2] native-coordinate centres of a Gaussian mixture
    mode_std: float | None = None
    scale: float = 1.0
    offset: tuple[float, float] = (0.0, 0.0)
    meta: dict = field(default_factory=dict)  # source path, fingerprint inputs, options

    @property
    def info(self) -> DataInfo:
        return DataInfo(self.name, self.kind, tuple(self.train.shape[1:]), self.levels, self.num_classes,
                        self.scale, tuple(self.offset))

    def to_native(self, x: torch.Tensor) -> torch.Tensor:
        """Map points from [-1, 1] back to the source's own coordinates."""
        return x * self.scale + torch.tensor(self.offset, dtype=x.dtype, device=x.device)
