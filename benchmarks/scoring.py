"""Shared by the quality benchmarks: MNIST, genlab's evaluator, and scoring any sampler's images with it.

Every model (genlab's or a peer's) is scored the same way as `genlab evaluate` scores a run: samples
clamped to [-1, 1] and rounded to the data's 256 levels, features of genlab's evaluator CNN, Frechet
distance and improved precision/recall (k=3) against the MNIST test split.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from common import MNIST_DIR

PR_K = 3  # as in genlab.metrics.suite (Kynkaanniemi et al. 2019)


def load_mnist():
    """genlab's MNIST dataset (images in [-1, 1], [N, 1, 28, 28]) from common.MNIST_DIR."""
    from genlab.data import load_dataset

    return load_dataset("mnist", data_dir=str(MNIST_DIR))


class Scorer:
    """genlab's evaluator for MNIST with the test-split features computed once (`score`, `floor`: the trained
    space against the test split, as benchmarks 1 and 3 have always been scored), and `score_all_spaces`: every
    feature space under exactly the protocol of `genlab score` / `genlab evaluate` (issue 14)."""

    def __init__(self, data, device: str = "cpu"):
        from genlab.data import dataset_fingerprint
        from genlab.evaluation.evaluator import load_or_train_evaluator

        self.data, self.device = data, device
        self.evaluator = load_or_train_evaluator(data, dataset_fingerprint(data), device, progress=True)
        self.test_f = self.features(data.test)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.evaluator.features(x, batch_size=500)

    def snap(self, x: torch.Tensor) -> torch.Tensor:
        """Samples as genlab's metric suite sees them: clamped to [-1, 1], rounded to the data's levels."""
        from genlab.data.quantize import from_levels, to_levels

        x = x.detach().float().cpu().clamp(-1, 1)
        return from_levels(to_levels(x, self.data.levels), self.data.levels) if self.data.levels else x

    def score(self, x: torch.Tensor) -> dict[str, float]:
        """FD, precision and recall of samples x [N, 1, 28, 28] against the test split."""
        from genlab.metrics.frechet import frechet_distance
        from genlab.metrics.precision_recall import precision_recall

        f = self.features(self.snap(x))
        precision, recall = precision_recall(self.test_f, f, PR_K)
        return {"fd": frechet_distance(self.test_f, f), "precision": precision, "recall": recall, "n": len(x)}

    def score_all_spaces(self, x: torch.Tensor, seed: int = 0) -> dict:
        """`genlab score`'s result for samples x: per feature space FD, KID, precision, recall, density, coverage
        with standard errors, the floor and the calibration; class coverage; memorization."""
        from genlab.evaluation.score import score

        return score(self.snap(x), self.data, device=self.device, seed=seed, evaluator=self.evaluator)

    def floor(self, n: int, seed: int = 0) -> dict[str, float]:
        """Real-vs-real floor: n random training images scored like samples (as genlab.metrics.suite does)."""
        idx = torch.randperm(len(self.data.train), generator=torch.Generator().manual_seed(seed))[:n]
        return self.score(self.data.train[idx].float())

    @property
    def record(self) -> dict:
        e = self.evaluator
        return {"name": e.name, "sha256": e.sha256, "test_accuracy": e.test_accuracy, "reference": "test split",
                "n_reference": len(self.data.test), "precision_recall_k": PR_K}


def space_rows(result: dict) -> dict[str, dict]:
    """Per feature space of a metrics.json / `genlab score` result: name, calibrated, and each fidelity metric
    with its standard error, e.g. {'trained': {'name': 'genlab-cnn-v2', 'calibrated': True, 'fd': ..,
    'fd_se': .., ...}}."""
    out = {}
    for role, sp in (result.get("spaces") or {}).items():
        if not isinstance(sp, dict) or "fidelity" not in sp:
            continue
        cal = sp.get("calibration") or {}
        out[role] = {"name": sp.get("name"), "calibrated": bool(cal.get("passed")), **sp["fidelity"],
                     "floor_fd": (sp.get("floor") or {}).get("fd")}
    return out


def fd_verdict(a: dict[str, dict], b: dict[str, dict]) -> tuple[str, dict[str, str]]:
    """Which of two models has the lower FD, by the report's rule (genlab.report.verdicts): 'a' or 'b' only
    when the 95% intervals separate in every calibrated space the two share; 'tie' when they overlap in some
    space and no space says the opposite; 'inconclusive' when spaces disagree. Also the per-space outcome."""
    from genlab.report.verdicts import separated

    per = {}
    for role in a.keys() & b.keys():
        if not (a[role]["calibrated"] and b[role]["calibrated"]):
            continue
        ca, cb = ({"mean": r[role]["fd"], "se": r[role].get("fd_se", 0.0)} for r in (a, b))
        per[role] = "tie" if not separated(ca, cb) else ("a" if ca["mean"] < cb["mean"] else "b")
    outcomes = set(per.values())
    if not per:
        return "inconclusive", per
    if {"a", "b"} <= outcomes:
        return "inconclusive", per
    if outcomes == {"a"} or outcomes == {"b"}:
        return outcomes.pop(), per
    return "tie", per


def timed(fn, *args, **kwargs):
    """(fn(*args, **kwargs), seconds)."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def save_grid(x: torch.Tensor, path: Path, title: str, n: int = 64) -> Path:
    """The first n samples as an 8-column PNG grid with a title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = x[:n].detach().float().cpu().clamp(-1, 1)
    cols = 8
    rows = (len(x) + cols - 1) // cols
    h, w = x.shape[-2:]
    canvas = torch.zeros((rows * (h + 2), cols * (w + 2)))  # grey borders between images
    for i, img in enumerate(x):
        r, c = divmod(i, cols)
        canvas[r * (h + 2) + 1:r * (h + 2) + 1 + h, c * (w + 2) + 1:c * (w + 2) + 1 + w] = img[0]
    fig, ax = plt.subplots(figsize=(cols * 0.6, rows * 0.6 + 0.4))
    ax.imshow(((canvas + 1) / 2).numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    root, full = Path(__file__).resolve().parents[1], path.resolve()  # recorded relative to the checkout
    return full.relative_to(root) if full.is_relative_to(root) else path
