"""Mode-coverage metrics counted exactly on constructed sample sets around ring8's centres."""

import math

import torch

from genlab.metrics.modes import high_quality_share, mode_counts, modes_covered, nearest_mode, reverse_kl

STD = 0.02
ANG = torch.arange(8, dtype=torch.float64) * 2 * math.pi / 8
MODES = 2.0 * torch.stack([ANG.cos(), ANG.sin()], 1)  # ring8: radius 2, std 0.02


def _at(counts: list[int], seed: int = 0) -> torch.Tensor:
    """counts[k] points at mode k, each 1 std (in a random direction) from its centre."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for k, c in enumerate(counts):
        phi = torch.rand(c, generator=g, dtype=torch.float64) * 2 * math.pi
        out.append(MODES[k] + STD * torch.stack([phi.cos(), phi.sin()], 1))
    return torch.cat(out)


def test_five_of_eight_modes():
    x = _at([40, 40, 40, 40, 40, 0, 0, 0])
    assert modes_covered(x, MODES, STD) == 5
    assert high_quality_share(x, MODES, STD) == 1.0
    assert mode_counts(x, MODES, STD).tolist() == [40] * 5 + [0] * 3
    # uniform over 5 of 8: KL = sum_5 (1/5) log((1/5) / (1/8)) = log(8/5); eps=1e-10 shifts it by < 1e-8
    assert abs(reverse_kl(x, MODES, STD) - math.log(8 / 5)) < 1e-8


def test_far_points_are_not_high_quality():
    far = torch.tensor([[0.0, 0.0], [5.0, 5.0], [2.0 * math.cos(math.pi / 8), 2.0 * math.sin(math.pi / 8)]],
                       dtype=torch.float64)  # origin, outside the ring, halfway between two modes
    x = torch.cat([_at([10] * 8), far])
    assert modes_covered(x, MODES, STD) == 8
    assert abs(high_quality_share(x, MODES, STD) - 80 / 83) < 1e-12
    assert modes_covered(far, MODES, STD) == 0 and high_quality_share(far, MODES, STD) == 0.0
    assert reverse_kl(far, MODES, STD) == math.inf  # no histogram at all


def test_three_sigma_boundary_and_nearest_mode():
    x = torch.stack([MODES[2] + torch.tensor([2.9 * STD, 0.0], dtype=torch.float64),
                     MODES[6] + torch.tensor([0.0, 3.1 * STD], dtype=torch.float64)])
    idx, dist = nearest_mode(x, MODES)
    assert idx.tolist() == [2, 6]
    assert torch.allclose(dist, torch.tensor([2.9 * STD, 3.1 * STD], dtype=torch.float64))
    assert mode_counts(x, MODES, STD).tolist() == [0, 0, 1, 0, 0, 0, 0, 0]


def test_min_count_threshold():
    x = _at([40, 40, 40, 40, 2, 1, 0, 0])
    assert modes_covered(x, MODES, STD) == 6
    assert modes_covered(x, MODES, STD, min_count=2) == 5
    assert modes_covered(x, MODES, STD, min_count=5) == 4


def test_reverse_kl_closed_forms():
    assert abs(reverse_kl(_at([7] * 8), MODES, STD)) < 1e-12  # p_gen = p_true
    # p_gen = (3/4, 1/4, 0, ...): 3/4 log(6) + 1/4 log(2)
    want = 0.75 * math.log(0.75 * 8) + 0.25 * math.log(0.25 * 8)
    assert abs(reverse_kl(_at([30, 10, 0, 0, 0, 0, 0, 0]), MODES, STD) - want) < 1e-8
    # against a non-uniform truth q = (1/2, 1/14, ..., 1/14) a sampler matching q has KL 0
    w = torch.tensor([7.0] + [1.0] * 7, dtype=torch.float64)
    assert abs(reverse_kl(_at([70] + [10] * 7), MODES, STD, weights=w)) < 1e-8
