"""KID's standard error in the suite: never a zero spread from subsets that are the whole sets, and of the size of
the KID's actual variation between independent sample sets."""

import statistics

import torch

from genlab.evaluation.sample_metrics import fidelity
from genlab.evaluation.uncertainty import FrechetReference


def test_kid_se_is_not_zero_when_the_subset_size_exceeds_the_sets_and_matches_the_real_spread():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 8, generator=g, dtype=torch.float64)
    ref = FrechetReference(torch.randn(2000, 8, generator=g, dtype=torch.float64))
    kids, ses = [], []
    for _ in range(16):  # independent fake sets from one model (a shifted Gaussian)
        fake = torch.randn(300, 8, generator=g, dtype=torch.float64) + 0.15
        r = fidelity(ref, real, fake, kid_subset_size=1000, kid_subsets=50, seed=0)
        kids.append(r["kid_mean"])
        ses.append(r["kid_se"])
    spread = statistics.stdev(kids)  # the KID's real sampling variation (the real set held fixed)
    assert min(ses) > 0
    # measured: spread 0.0177, median se 0.0248 (the se also counts the real set's own variation)
    assert spread / 3 < statistics.median(ses) < 3 * spread, (spread, statistics.median(ses))
