"""Linear-probe accuracy of a representation: logistic regression fitted on training features only."""

from __future__ import annotations

import math

import numpy as np


def _np(v) -> np.ndarray:
    a = v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)
    return a.reshape(len(a), -1) if a.ndim > 1 else a


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial share k / n (Wilson 1927)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def linear_probe(train_x, train_y, test_x, test_y, max_iter: int = 1000, c: float = 1.0) -> dict:
    """Standardise with training statistics, fit scikit-learn's LogisticRegression on (train_x, train_y), and
    score on the test split (its labels are used only for scoring). -> {'accuracy', 'low', 'high', ...}."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    xtr, xte = _np(train_x).astype(np.float64), _np(test_x).astype(np.float64)
    ytr, yte = _np(train_y).astype(np.int64), _np(test_y).astype(np.int64)
    scaler = StandardScaler().fit(xtr)
    clf = LogisticRegression(max_iter=max_iter, C=c).fit(scaler.transform(xtr), ytr)
    correct = int((clf.predict(scaler.transform(xte)) == yte).sum())
    low, high = wilson_interval(correct, len(yte))
    return {"accuracy": correct / len(yte), "low": low, "high": high, "n_train": len(ytr), "n_test": len(yte),
            "features": int(xtr.shape[1])}
