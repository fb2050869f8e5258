"""What the samples alone decide, in every feature space: fidelity and diversity with standard errors, the
real-vs-real floor measured the same way, and each space's calibration.

Reference: the larger split (train for every built-in dataset), so FD compares against as much real data as
there is. The floor: as many images of the other split as there are samples (fewer if it is smaller), scored
exactly like samples. k-NN metrics use an equal-sized random subset of the reference (Naeem et al. 2020).
"""

from __future__ import annotations

import torch

from genlab.data.dataset import Dataset
from genlab.evaluation.calibration import calibrate
from genlab.evaluation.evaluator import Evaluator
from genlab.evaluation.uncertainty import FrechetReference, binomial_se, kid_se
from genlab.metrics import modes
from genlab.metrics.classes import class_coverage, class_histogram_kl
from genlab.metrics.density_coverage import density_coverage, density_per_sample
from genlab.metrics.kid import kernel_distance
from genlab.metrics.memorization import copy_threshold, memorization_share
from genlab.metrics.precision_recall import precision_recall
from genlab.metrics.records import unavailable

PR_K, DC_K = 3, 5  # Kynkaanniemi et al. 2019 use k=3; Naeem et al. 2020 use k=5
_CACHE: dict = {}  # (space sha256, fingerprint, what) -> features or records, for one process


def splits(dataset: Dataset) -> tuple[str, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """(name of the reference split, reference images, held-out images, held-out labels)."""
    if len(dataset.train) >= len(dataset.test):
        return "train", dataset.train, dataset.test, dataset.test_labels
    return "test", dataset.test, dataset.train, dataset.train_labels


def _cached(key: tuple, compute):
    if key not in _CACHE:
        _CACHE[key] = compute()
    return _CACHE[key]


def fidelity(ref: FrechetReference, real_f: torch.Tensor, fake_f: torch.Tensor, kid_subset_size: int,
             kid_subsets: int, seed: int) -> dict[str, float]:
    """FD, KID, precision, recall, density, coverage of fake features, each with its standard error.

    real_f: reference features for the k-NN and kernel metrics (as many as fake_f where possible)."""
    fd, fd_se = ref.fd_with_se(fake_f, seed)
    m, n = len(fake_f), len(real_f)
    # Subsets of at most half of each set: a subset as large as both sets is the same pair of sets every draw, whose
    # spread (0) says nothing of the uncertainty (the report showed KID +- 1e-14 with 1,000 samples and subsets of
    # 1,000). Each subset's MMD^2 is unbiased, so the mean estimates the same KID.
    subset = max(2, min(kid_subset_size, m // 2, n // 2))
    kid_mean, kid_std = kernel_distance(real_f, fake_f, subset, kid_subsets, seed)
    precision, recall = precision_recall(real_f, fake_f, PR_K)
    density, coverage = density_coverage(real_f, fake_f, DC_K)
    dens = density_per_sample(real_f, fake_f, DC_K)
    return {"fd": fd, "fd_se": fd_se, "kid_mean": kid_mean, "kid_std": kid_std,
            "kid_se": kid_se(kid_std, subset, min(m, n)),
            "precision": precision, "precision_se": binomial_se(precision, m),
            "recall": recall, "recall_se": binomial_se(recall, n),
            "density": density, "density_se": float(dens.std() / max(m, 1) ** 0.5),
            "coverage": coverage, "coverage_se": binomial_se(coverage, n)}


def space_metrics(space, dataset: Dataset, fingerprint: str, fake: torch.Tensor, seed: int,
                  kid_subset_size: int, kid_subsets: int) -> dict:
    """One space's record: fidelity of `fake` images, the floor, and the calibration (cached per process)."""
    ref_name, ref_x, held_x, held_y = splits(dataset)
    key = (space.name, space.sha256, fingerprint)
    ref_f = _cached(key + ("reference",), lambda: space.features(ref_x))
    fref = _cached(key + ("frechet",), lambda: FrechetReference(ref_f))
    n = len(fake)
    g = torch.Generator().manual_seed(seed)
    real_f = ref_f[torch.randperm(len(ref_f), generator=g)[:n]]  # equal-sized reference subset for k-NN metrics
    n_floor = min(n, len(held_x))
    floor_idx = torch.randperm(len(held_x), generator=torch.Generator().manual_seed(seed))[:n_floor]
    floor = _cached(key + ("floor", n_floor, seed), lambda: fidelity(
        fref, real_f[:n_floor], space.features(held_x[floor_idx]), kid_subset_size, kid_subsets, seed))
    out = {"name": space.name, "sha256": space.sha256, "role": space.role, "reference_split": ref_name,
           "n_reference": len(ref_f), "fidelity": fidelity(fref, real_f, space.features(fake), kid_subset_size,
                                                           kid_subsets, seed),
           "floor": {**floor, "n": float(n_floor)}}
    if dataset.kind == "image":
        n_cal = min(n, len(held_x))
        # a property of the space and the data at this sample count, not of a run: always seed 0
        cal_idx = torch.randperm(len(held_x), generator=torch.Generator().manual_seed(0))[:n_cal]
        out["calibration"] = _cached(key + ("calibration", n_cal), lambda: calibrate(
            space, dataset, ref_f, held_x[cal_idx], None if held_y is None else held_y[cal_idx], 0,
            train_features=ref_f if ref_name == "train" else None))
    else:
        out["calibration"] = {"space": space.name, "passed": True, "checks": {},
                              "note": "2-D points are measured in their own coordinates: nothing to calibrate"}
    return out


def _mode_collapse(dataset: Dataset, evaluator, samples: torch.Tensor) -> dict:
    if dataset.kind == "points":
        if dataset.modes is None or dataset.mode_std is None:
            return unavailable(f"{dataset.name}: the data declares no mixture modes")
        native, centres = dataset.to_native(samples), dataset.modes.double()
        native = native.double()
        return {"modes_total": float(len(centres)),
                "modes_covered": float(modes.modes_covered(native, centres, dataset.mode_std)),
                "high_quality_share": float(modes.high_quality_share(native, centres, dataset.mode_std)),
                "reverse_kl": float(modes.reverse_kl(native, centres, dataset.mode_std))}
    if not dataset.num_classes or dataset.test_labels is None or not isinstance(evaluator, Evaluator):
        return unavailable(f"{dataset.name}: no class labels to measure class coverage")
    pred = evaluator.predict(samples)
    return {"num_classes": float(dataset.num_classes),
            "classes_covered": float(class_coverage(pred, dataset.num_classes)),
            "class_kl": class_histogram_kl(pred, dataset.test_labels, dataset.num_classes)}


def sample_sections(samples: torch.Tensor, dataset: Dataset, spaces: list, fingerprint: str, seed: int,
                    kid_subset_size: int, kid_subsets: int, memorization_quantile: float) -> dict:
    """Everything the samples alone decide: every space's fidelity, floor and calibration ('spaces'); the
    first space's fidelity and floor again at the top level; mode collapse; memorization (first space)."""
    per_space = {sp.role: space_metrics(sp, dataset, fingerprint, samples, seed, kid_subset_size, kid_subsets)
                 for sp in spaces}
    first = spaces[0]
    primary = per_space[first.role]
    ref_name, _, held_x, _ = splits(dataset)
    key = (first.name, first.sha256, fingerprint)
    # the reference features are the train split's when it is the reference: computed once per process
    train_f = _cached(key + ("reference",) if ref_name == "train" else key + ("train",),
                      lambda: first.features(dataset.train))
    tau = _cached(key + ("copy_threshold", memorization_quantile),
                  lambda: copy_threshold(first.features(held_x), train_f, memorization_quantile))
    classifier = next((sp for sp in spaces if isinstance(sp, Evaluator)), None)
    return {"fidelity": primary["fidelity"], "floor": primary["floor"],
            "spaces": per_space,
            "mode_collapse": _mode_collapse(dataset, classifier, samples),
            "memorization": memorization_share(first.features(samples), train_f, None, memorization_quantile,
                                               tau=tau)}
