"""Learning-rate schedules over a share of the training budget, as a factor on the base learning rate.

A run with a budget (steps, images or seconds) knows its progress p in [0, 1] before each step, so it can
anneal to zero exactly when the budget ends. That suits runs long enough to converge; genlab's 600 s MNIST DDPM
(~300 steps on a 2-core CPU) is still learning fast at the end, and cosine decay there was 2.5x worse in FD than
the constant rate (issue 21, benchmarks/results/ddpm_trials_600s_lr.md), so `constant` is the default.
"""

from __future__ import annotations

import math

from genlab.config import LR_SCHEDULES


def lr_factor(schedule: str, progress: float, span: tuple[float, float] = (0.0, 1.0)) -> float:
    """The decay factor at budget progress `progress` for a group that trains over `span` = (start, end).

    constant: 1.  cosine (SGDR, Loshchilov & Hutter 2017, without restarts): (1 + cos(pi f)) / 2.
    linear: 1 - f.  Here f = (progress - start) / (end - start), clipped to [0, 1].
    """
    start, end = span
    f = min(1.0, max(0.0, (progress - start) / (end - start))) if end > start else 1.0
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * f))
    if schedule == "linear":
        return 1.0 - f
    raise ValueError(f"unknown learning-rate schedule '{schedule}' (choose {', '.join(LR_SCHEDULES)})")
