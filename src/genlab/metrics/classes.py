"""Class-level mode collapse: how many classes the generator produces, and how far its class mix is off."""

from __future__ import annotations

import math

import torch


def class_histogram(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Share of each class, float64 [K]."""
    counts = torch.bincount(torch.as_tensor(labels).reshape(-1).long().cpu(), minlength=num_classes)
    return counts[:num_classes].double() / max(len(labels), 1)


def class_coverage(predicted: torch.Tensor, num_classes: int, min_share: float | None = None) -> int:
    """Number of classes predicted for at least `min_share` of samples (default 0.2 / num_classes)."""
    if min_share is None:
        min_share = 0.2 / num_classes
    return int((class_histogram(predicted, num_classes) >= min_share).sum())


def class_histogram_kl(predicted: torch.Tensor, real_labels: torch.Tensor, num_classes: int) -> float:
    """KL(p_gen || p_real) in nats between predicted and real class histograms.

    A class absent from the n real labels is given half a count (p = 0.5 / n) so the value stays finite.
    """
    p = class_histogram(predicted, num_classes)
    q = class_histogram(real_labels, num_classes).clamp_min(0.5 / max(len(real_labels), 1))
    nz = p > 0
    # KL(p || q) = sum_c p_c log(p_c / q_c), with 0 log 0 = 0
    kl = float((p[nz] * (p[nz].log() - q[nz].log())).sum())
    return max(kl, 0.0) if math.isfinite(kl) else kl


def class_accuracy(predicted: torch.Tensor, requested: torch.Tensor, num_classes: int) -> dict:
    """How often samples are classified as the class they were drawn for: 'accuracy' with its binomial standard
    error 'accuracy_se', and 'per_class' [K] (None for a class never requested)."""
    p, r = torch.as_tensor(predicted).reshape(-1).long().cpu(), torch.as_tensor(requested).reshape(-1).long().cpu()
    hit = (p == r).double()
    acc = float(hit.mean()) if len(hit) else math.nan
    per_class = [float(hit[r == k].mean()) if bool((r == k).any()) else None for k in range(num_classes)]
    return {"accuracy": acc, "accuracy_se": math.sqrt(max(acc * (1 - acc), 0.0) / max(len(hit), 1)),
            "per_class": per_class, "n": float(len(hit))}
