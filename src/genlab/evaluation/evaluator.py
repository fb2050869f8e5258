"""The trained evaluation feature space: a small CNN classifier trained by genlab, or the identity for 2-D data.

The classifier is trained once per dataset (keyed by the data fingerprint) with a fixed recipe and seed,
then cached as safetensors + JSON under the user's cache directory. Its penultimate activations (256-d: a
pooled semantic vector and a coarse spatial map) are one of the feature spaces of the Frechet distance, KID,
precision/recall, density/coverage and memorization; its predictions give class coverage. Numbers are
comparable only between runs that used the same weights (the sha256 in the protocol manifest).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from genlab.data.dataset import Dataset
from genlab.errors import DataError, NotAvailable
from genlab.fileio import atomic_write_with

FEATURE_DIM = 256  # 128 pooled semantic features + 128 from a 4x4 spatial map


@dataclass(frozen=True)
class Recipe:
    """The fixed training recipe; any change gives a new cache key."""

    version: int = 2  # v2: features keep a 4x4 spatial map beside the pooled vector
    width: int = 32
    batch_size: int = 128
    epochs: int = 3
    min_steps: int = 300
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0


RECIPE = Recipe()
SPATIAL_CHANNELS, SPATIAL_SIDE = 8, 4


def cache_dir() -> Path:
    """GENLAB_CACHE, else $XDG_CACHE_HOME/genlab, else ~/.cache/genlab."""
    if os.environ.get("GENLAB_CACHE"):
        return Path(os.environ["GENLAB_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "genlab"
    return Path.home() / ".cache" / "genlab"


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class FeatureCNN(nn.Module):
    """Two conv stages with 2x2 pooling; features = [pooled semantic vector (128), spatial map (8 x 4 x 4)].

    The spatial half (a 1x1 conv of the half-resolution stage, average-pooled to 4x4) keeps where strokes
    and edges are, which a global pool throws away: blur and noise move it even when the class does not
    change. The head classifies from both halves, so both are trained.
    """

    def __init__(self, channels: int, num_classes: int, width: int = 32):
        super().__init__()
        self.stage1 = nn.Sequential(_block(channels, width), nn.MaxPool2d(2, ceil_mode=True))
        self.stage2 = nn.Sequential(_block(width, 2 * width), nn.MaxPool2d(2, ceil_mode=True))
        self.semantic = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 128), nn.ReLU())
        self.spatial = nn.Sequential(nn.Conv2d(width, SPATIAL_CHANNELS, 1), nn.ReLU(),
                                     nn.AdaptiveAvgPool2d(SPATIAL_SIDE), nn.Flatten())
        self.head = nn.Linear(FEATURE_DIM, num_classes)

    def body(self, x: torch.Tensor) -> torch.Tensor:
        """Features [B, 256]: semantic [B, 128] then spatial [B, 8*4*4]."""
        h1 = self.stage1(x)
        return torch.cat([self.semantic(self.stage2(h1)), self.spatial(h1)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class Evaluator:
    """Features and class predictions of images under a trained FeatureCNN."""

    def __init__(self, net: FeatureCNN, name: str, sha256: str, test_accuracy: float, meta: dict):
        self.net = net.eval()
        self.name, self.sha256, self.test_accuracy, self.meta = name, sha256, test_accuracy, meta
        self.kind, self.role = "image", "trained"

    @property
    def device(self) -> torch.device:
        return next(self.net.parameters()).device

    def to(self, device: str | torch.device) -> Evaluator:
        self.net.to(device)
        return self

    @torch.no_grad()
    def _map(self, fn, x: torch.Tensor, batch_size: int) -> torch.Tensor:
        outs = [fn(x[i:i + batch_size].to(self.device, torch.float32)).cpu()
                for i in range(0, len(x), batch_size)]
        return torch.cat(outs)

    def features(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Penultimate activations [N, 256] (float32, CPU) of images [N, C, H, W] in [-1, 1]."""
        return self._map(self.net.body, x, batch_size)

    def predict(self, x: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Predicted class [N] (int64, CPU)."""
        return self._map(lambda b: self.net(b).argmax(dim=1), x, batch_size)


class IdentityEvaluator:
    """The feature space of 2-D point data: the coordinates themselves."""

    name = "identity"
    sha256 = ""
    test_accuracy = None
    kind = "points"
    role = "identity"
    meta: dict = {}

    def to(self, device: str | torch.device) -> IdentityEvaluator:
        return self

    def features(self, x: torch.Tensor, batch_size: int = 0) -> torch.Tensor:
        """The points [N, D] themselves, float32 on CPU."""
        return x.detach().reshape(len(x), -1).float().cpu()

    def predict(self, x: torch.Tensor, batch_size: int = 0) -> torch.Tensor:
        raise NotAvailable("the identity feature space has no classifier")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@torch.no_grad()
def _accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> float:
    net.eval()
    correct = 0
    for i in range(0, len(x), 512):
        correct += int((net(x[i:i + 512].to(device)).argmax(1).cpu() == y[i:i + 512]).sum())
    return correct / len(x)


def train_classifier(dataset: Dataset, device: str | torch.device = "cpu", recipe: Recipe = RECIPE,
                     progress: bool = True) -> tuple[FeatureCNN, float]:
    """Train the FeatureCNN on the train split with the fixed recipe; returns it and its test accuracy."""
    from tqdm.auto import tqdm

    if (dataset.kind != "image" or dataset.train_labels is None or dataset.test_labels is None
            or not dataset.num_classes):
        raise DataError(f"{dataset.name}: the evaluator classifier needs labelled images (train and test)")
    device = torch.device(device)
    x, y = dataset.train.float(), dataset.train_labels.long()
    steps = max(recipe.min_steps, recipe.epochs * math.ceil(len(x) / recipe.batch_size))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(recipe.seed)
        net = FeatureCNN(x.shape[1], dataset.num_classes, recipe.width)
    net.to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=steps, pct_start=0.15)
    g = torch.Generator().manual_seed(recipe.seed)
    order, pos = torch.randperm(len(x), generator=g), 0
    net.train()
    for _ in tqdm(range(steps), desc=f"evaluator {dataset.name}", disable=not progress, leave=False):
        if pos + recipe.batch_size > len(x):
            order, pos = torch.randperm(len(x), generator=g), 0
        idx = order[pos:pos + recipe.batch_size]
        pos += recipe.batch_size
        loss = F.cross_entropy(net(x[idx].to(device)), y[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    net.eval()
    return net, _accuracy(net, dataset.test.float(), dataset.test_labels.long(), device)


def evaluator_paths(fingerprint: str, recipe: Recipe = RECIPE) -> tuple[Path, Path]:
    """(weights.safetensors, meta.json) of the cached evaluator for this data fingerprint."""
    folder, stem = cache_dir() / "evaluators", f"cnn-v{recipe.version}-{fingerprint}"
    return folder / f"{stem}.safetensors", folder / f"{stem}.json"


def load_or_train_evaluator(dataset: Dataset, fingerprint: str, device: str | torch.device = "cpu",
                            progress: bool = True) -> Evaluator | IdentityEvaluator:
    """The cached evaluator for this data, trained and cached on first use; identity for points."""
    from safetensors.torch import load_file, save_file

    if dataset.kind == "points":
        return IdentityEvaluator()
    weights, meta_path = evaluator_paths(fingerprint)
    name = f"genlab-cnn-v{RECIPE.version}"
    if weights.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        net = FeatureCNN(meta["channels"], meta["num_classes"], meta["recipe"]["width"])
        net.load_state_dict(load_file(str(weights)))
        sha = _sha256(weights)
        if sha != meta["sha256"]:
            raise DataError(f"cached evaluator {weights} does not match its sha256; delete it to retrain")
        return Evaluator(net.to(device), name, sha, meta["test_accuracy"], meta)
    net, acc = train_classifier(dataset, device, RECIPE, progress)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    atomic_write_with(weights, lambda p: save_file(state, p, metadata={"fingerprint": fingerprint}))
    sha = _sha256(weights)
    meta = {"name": name, "fingerprint": fingerprint, "dataset": dataset.name,
            "channels": dataset.train.shape[1],
            "image_shape": list(dataset.train.shape[1:]), "num_classes": dataset.num_classes,
            "feature_dim": FEATURE_DIM, "test_accuracy": acc, "sha256": sha, "recipe": asdict(RECIPE),
            "trained_on": str(torch.device(device)), "torch": torch.__version__}
    atomic_write_with(meta_path, lambda p: Path(p).write_text(json.dumps(meta, indent=2)))
    return Evaluator(net, name, sha, acc, meta)
