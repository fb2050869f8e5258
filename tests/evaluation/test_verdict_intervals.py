"""Verdicts respect the evidence: two sample sets from one distribution are a tie in at least 19 of 20 seeded
trials (every calibrated space, 95% intervals); real data against a blurred copy is never a tie."""

import torch

from genlab.evaluation.calibration import gaussian_blur
from genlab.evaluation.sample_metrics import space_metrics
from genlab.evaluation.spaces import PixelPCA
from genlab.report.cells import table
from genlab.report.inputs import space_keys
from genlab.report.verdicts import decide

N = 250


def _flat(spaces, data, x, seed):
    flat = {}
    for suffix, space in zip(("", "_pixels"), spaces, strict=True):
        rec = space_metrics(space, data, "digits-test-fp", x, seed, kid_subset_size=100, kid_subsets=5)
        flat.update(space_keys(rec["fidelity"], suffix))
        flat["calibrated" + suffix] = 1.0 if rec["calibration"]["passed"] else 0.0
    return flat


def _decision(spaces, data, a, b, seed):
    tab = table({"a": [_flat(spaces, data, a, seed)], "b": [_flat(spaces, data, b, seed)]})
    return decide(tab, "a", "b", "fd")[0]


def _draw(pool, g):
    """N images drawn from the held-out split with replacement, plus a little fresh noise (one distribution)."""
    x = pool[torch.randint(len(pool), (N,), generator=g)]
    return (x + 0.05 * torch.randn(x.shape, generator=g)).clamp(-1, 1)


def test_same_distribution_is_a_tie_and_blur_is_never(digits, digits_evaluator):
    spaces = (digits_evaluator, PixelPCA(digits.train))
    ties, blur_decisions = 0, []
    for trial in range(20):
        g = torch.Generator().manual_seed(trial)
        a, b = _draw(digits.test, g), _draw(digits.test, g)
        ties += _decision(spaces, digits, a, b, trial) == "tie"
        if trial < 5:
            blur_decisions.append(_decision(spaces, digits, a, gaussian_blur(b, 0.7), trial))
    assert ties >= 19
    assert blur_decisions == ["a"] * 5  # real beats blurred, separated in both spaces, every time
