"""Feature spaces the fidelity and diversity metrics are computed in, each with a name, an id for the manifest
and `features(x) -> [N, D]`:

- genlab's trained evaluator (evaluation/evaluator.py): a classifier trained on the data's train split;
- `pixels-pca`: raw pixels projected on the top principal components of the train split, no training of a
  network at all (a fixed linear map), so it cannot share a trained network's blind spots;
- DINOv2 (optional, evaluation/dinov2.py) from a local model folder;
- `identity` for 2-D points (the coordinates).
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from genlab.data.dataset import Dataset
from genlab.evaluation.evaluator import IdentityEvaluator, load_or_train_evaluator

__all__ = ["IdentityEvaluator", "PixelPCA", "feature_spaces"]

PCA_COMPONENTS = 64


class PixelPCA:
    """Pixels [N, C*H*W] centred on the train mean and projected on its top-k principal directions."""

    kind = "image"
    role = "pixels"

    def __init__(self, train: torch.Tensor, k: int = PCA_COMPONENTS):
        x = train.detach().reshape(len(train), -1).double().cpu()
        self.mean = x.mean(0)
        # principal directions: right singular vectors of the centred data, by decreasing singular value
        _, _, vh = torch.linalg.svd(x - self.mean, full_matrices=False)
        self.k = min(k, vh.shape[0])
        self.components = vh[: self.k].T.contiguous()  # [D, k]
        digest = hashlib.sha256(np.ascontiguousarray(self.components.numpy()).tobytes()).hexdigest()
        self.name, self.sha256 = f"pixels-pca{self.k}", digest
        self.test_accuracy = None

    def features(self, x: torch.Tensor, batch_size: int = 0) -> torch.Tensor:
        """[N, k] float32 projections of images [N, C, H, W]."""
        flat = x.detach().reshape(len(x), -1).double().cpu()
        return ((flat - self.mean) @ self.components).float()


def feature_spaces(dataset: Dataset, fingerprint: str, device: torch.device, progress: bool = False,
                   evaluator=None, dinov2: str | None = None) -> tuple[list, dict]:
    """The spaces to measure `dataset` in (the trained evaluator first, when the data has labels), and the
    reasons of those that are unavailable: {name: reason}."""
    if dataset.kind == "points":
        return [IdentityEvaluator()], {}
    spaces, missing = [], {}
    if evaluator is not None:
        spaces.append(evaluator)
    elif dataset.train_labels is not None and dataset.num_classes:
        spaces.append(load_or_train_evaluator(dataset, fingerprint, device, progress))
    else:
        missing["trained"] = f"{dataset.name}: unlabelled images, so no genlab evaluator can be trained"
    spaces.append(PixelPCA(dataset.train))
    if dinov2:
        from genlab.evaluation.dinov2 import load_dinov2

        space = load_dinov2(dinov2, device)
        if isinstance(space, dict):
            missing["dinov2"] = space["reason"]
        else:
            spaces.append(space)
    return spaces, missing
