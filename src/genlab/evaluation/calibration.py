"""Does a feature space see what matters? Held-out real data against progressively degraded copies of itself:
Gaussian blur, additive noise, dropped classes; FD must rise monotonically with each degradation and the
mildest blur must sit more than three standard errors above clean data. Replacing samples by their nearest
training images is memorization, which FD is not built to see; the memorization share must rise instead.
A space that fails is reported as such and takes no part in verdicts."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from genlab.data.dataset import Dataset
from genlab.evaluation.uncertainty import FrechetReference
from genlab.metrics.distances import nearest_distances
from genlab.metrics.memorization import copy_threshold, memorization_share

# Blur in units of the image side, so every image size gets the same visible blur: for 8x8 digits sigma is
# 0.5, 1 and 2 pixels, for 28x28 MNIST 1.75, 3.5 and 7 (0.5 px on MNIST is barely visible, and measured:
# FD of pixels rises 1.7 +- 0.75 at n = 2000). Noise in data units ([-1, 1]).
BLUR_SIDES = (1 / 16, 1 / 8, 1 / 4)
NOISE_STDS = (0.2, 0.4, 0.8)
DROP_SHARES = (0.25, 0.5)  # share of classes removed
COPY_SHARES = (0.5, 1.0)  # share of images replaced by their nearest training image
CALIBRATION_BOOTSTRAP = 30
SEPARATION = 3.0  # the mildest blur must exceed clean data by this many standard errors


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of images [N, C, H, W] (kernel radius 3 sigma, reflected borders)."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).to(x.dtype)
    c = x.shape[1]
    pad = min(radius, x.shape[-1] - 1, x.shape[-2] - 1)
    k = k[radius - pad: radius + pad + 1]
    y = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    y = F.conv2d(y, k.reshape(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(y, k.reshape(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _monotone(values: list[float]) -> bool:
    return all(b > a for a, b in zip(values, values[1:], strict=False))


def _class_subset(x: torch.Tensor, labels: torch.Tensor, num_classes: int, share: float, m: int,
                  g: torch.Generator) -> torch.Tensor:
    """m images of the classes left after removing the first round(share * num_classes) classes."""
    keep = labels >= round(share * num_classes)
    idx = torch.nonzero(keep).flatten()
    return x[idx[torch.randperm(len(idx), generator=g)[:m]]]


def calibrate(space, dataset: Dataset, reference: torch.Tensor, held: torch.Tensor,
              held_labels: torch.Tensor | None, seed: int = 0, train_features: torch.Tensor | None = None) -> dict:
    """The calibration record of one space: FD (with bootstrap SE) of each degraded copy of `held` against
    `reference` features, the checks, and whether they all passed."""
    ref = FrechetReference(reference)

    def fd(x: torch.Tensor) -> list[float]:
        return list(ref.fd_with_se(space.features(x), seed, CALIBRATION_BOOTSTRAP))

    g = torch.Generator().manual_seed(seed)
    clean = fd(held)
    side = min(held.shape[-2:])
    sigmas = [round(f * side, 3) for f in BLUR_SIDES]
    blur = [fd(gaussian_blur(held, s)) for s in sigmas]
    noise = [fd((held + s * torch.randn(held.shape, generator=g)).clamp(-1, 1)) for s in NOISE_STDS]
    values: dict = {"clean": clean, "blur": dict(zip(map(str, sigmas), blur, strict=True)),
                    "noise": dict(zip(map(str, NOISE_STDS), noise, strict=True))}
    checks = {"blur_monotone": _monotone([clean[0]] + [b[0] for b in blur]),
              "noise_monotone": _monotone([clean[0]] + [n[0] for n in noise]),
              "mild_blur_separated": blur[0][0] - clean[0] > SEPARATION * math.hypot(clean[1], blur[0][1])}
    if held_labels is not None and dataset.num_classes:
        m = int((held_labels >= round(max(DROP_SHARES) * dataset.num_classes)).sum())
        drops = [fd(_class_subset(held, held_labels, dataset.num_classes, s, m, g)) for s in (0.0, *DROP_SHARES)]
        values["drop_classes"] = dict(zip(map(str, (0.0, *DROP_SHARES)), drops, strict=True))
        checks["drop_classes_monotone"] = _monotone([d[0] for d in drops])
    nearest = _nearest_train(held, dataset.train)
    train_f = train_features if train_features is not None else space.features(dataset.train)
    held_f = space.features(held)
    tau = copy_threshold(held_f, train_f)  # one threshold for the whole sweep: it depends on the data alone
    shares = []
    for s in (0.0, *COPY_SHARES):
        x = held.clone()
        k = round(s * len(x))
        x[:k] = nearest[:k]
        shares.append(memorization_share(space.features(x), train_f, None, tau=tau)["share"])
    values["copies_memorization_share"] = dict(zip(map(str, (0.0, *COPY_SHARES)), shares, strict=True))
    checks["copies_memorization_monotone"] = _monotone(shares)
    return {"space": space.name, "n": len(held), "values": values, "checks": checks,
            "passed": all(checks.values())}


def _nearest_train(x: torch.Tensor, train: torch.Tensor) -> torch.Tensor:
    """Each image's nearest training image, searched among the top 64 principal components of the pixels
    (a 784-d search over 60,000 MNIST images would dominate the calibration's cost)."""
    from genlab.evaluation.spaces import PixelPCA

    pca = PixelPCA(train)
    t, q = pca.features(train), pca.features(x)
    idx = torch.cat([torch.cdist(q[i:i + 512], t).argmin(1) for i in range(0, len(q), 512)])
    return train[idx]


__all__ = ["calibrate", "gaussian_blur", "nearest_distances"]
