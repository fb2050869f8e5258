"""Out-of-distribution detection metrics over anomaly scores (higher score = more anomalous, OOD = positive)."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import rankdata


def _flat(v) -> np.ndarray:
    return np.asarray(v.detach().cpu() if hasattr(v, "detach") else v, dtype=np.float64).reshape(-1)


def auroc(scores_in, scores_out) -> float:
    """Area under the ROC curve: P(s_out > s_in) + P(s_out = s_in) / 2, the Mann-Whitney U statistic over
    n_in * n_out (ties get average ranks)."""
    a, b = _flat(scores_in), _flat(scores_out)
    ranks = rankdata(np.concatenate([a, b]))  # average ranks over ties
    u = ranks[len(a):].sum() - len(b) * (len(b) + 1) / 2  # U of the OOD scores
    return float(u / (len(a) * len(b)))


def auroc_se(area: float, n_in: int, n_out: int) -> float:
    """Standard error of an AUROC estimate (Hanley & McNeil 1982, eq. 2)."""
    q1, q2 = area / (2 - area), 2 * area ** 2 / (1 + area)
    var = (area * (1 - area) + (n_out - 1) * (q1 - area ** 2) + (n_in - 1) * (q2 - area ** 2)) / (n_in * n_out)
    return math.sqrt(max(var, 0.0))


def fpr_at_tpr(scores_in, scores_out, tpr: float = 0.95) -> float:
    """Share of in-distribution examples flagged at the highest threshold that flags at least `tpr` of the OOD ones."""
    a, b = _flat(scores_in), np.sort(_flat(scores_out))[::-1]
    threshold = b[max(math.ceil(tpr * len(b)) - 1, 0)]  # flag s >= threshold
    return float((a >= threshold).mean())


def detection(scores_in, scores_out) -> dict:
    """{'auroc', 'auroc_se', 'fpr95', 'n_in', 'n_out'} of one score on one in/out pair."""
    a, b = _flat(scores_in), _flat(scores_out)
    area = auroc(a, b)
    return {"auroc": area, "auroc_se": auroc_se(area, len(a), len(b)), "fpr95": fpr_at_tpr(a, b),
            "n_in": len(a), "n_out": len(b)}
