import numpy as np
import pytest
import torch
from prdc import compute_prdc

from genlab.metrics.density_coverage import density_coverage
from genlab.metrics.precision_recall import precision_recall


@pytest.mark.parametrize("chunk", [1024, 37])
@pytest.mark.parametrize("shift", [0.0, 0.7])
def test_matches_reference_prdc(chunk, shift):
    rng = np.random.default_rng(int(shift * 10) + chunk)
    real = rng.normal(size=(300, 16))
    fake = rng.normal(size=(250, 16)) * 1.2 + shift
    ref3 = compute_prdc(real_features=real, fake_features=fake, nearest_k=3)
    ref5 = compute_prdc(real_features=real, fake_features=fake, nearest_k=5)
    precision, recall = precision_recall(torch.tensor(real), torch.tensor(fake), k=3, chunk=chunk)
    density, coverage = density_coverage(torch.tensor(real), torch.tensor(fake), k=5, chunk=chunk)
    assert precision == pytest.approx(ref3["precision"], abs=1e-6)
    assert recall == pytest.approx(ref3["recall"], abs=1e-6)
    assert density == pytest.approx(ref5["density"], abs=1e-6)
    assert coverage == pytest.approx(ref5["coverage"], abs=1e-6)
    assert 0 < precision <= 1 and 0 < coverage <= 1


def test_identical_sets_are_perfect():
    x = torch.randn(200, 4, generator=torch.Generator().manual_seed(0))
    p, r = precision_recall(x, x, k=3)
    _, c = density_coverage(x, x, k=5)
    assert p == 1.0 and r == 1.0 and c == 1.0


def test_blocks_are_memory_bounded(monkeypatch):
    from genlab.metrics import distances

    monkeypatch.setattr(distances, "MAX_BLOCK", 1000)
    x = torch.randn(120, 3, generator=torch.Generator().manual_seed(0))
    y = torch.randn(250, 3, generator=torch.Generator().manual_seed(1))
    blocks = list(distances.distance_chunks(x, y, chunk=1024))
    assert all(d.numel() <= 1000 for _, d in blocks) and sum(len(d) for _, d in blocks) == 120
    full = torch.cdist(x.double(), y.double())
    torch.testing.assert_close(torch.cat([d for _, d in blocks]), full.to(blocks[0][1].dtype))
    torch.testing.assert_close(distances.nearest_distances(x, y), full.min(dim=1).values)


def test_nearest_distances_are_exact_for_copies_and_match_direct_differences():
    """The matrix-product search keeps the exact distance of the winner: 0 for a copied row (not ~1e-8), and the
    direct-difference minimum for the rest, on features with a large common offset (where |a|^2 - 2ab + |b|^2
    alone loses digits)."""
    from genlab.metrics import distances

    g = torch.Generator().manual_seed(2)
    train = torch.randn(3000, 64, generator=g, dtype=torch.float64) + 50.0
    gen = torch.cat([train[:7], torch.randn(93, 64, generator=g, dtype=torch.float64) + 50.0])
    d = distances.nearest_distances(gen, train)
    assert (d[:7] == 0).all()
    direct = torch.cdist(gen, train, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values
    torch.testing.assert_close(d, direct, rtol=1e-12, atol=1e-12)
