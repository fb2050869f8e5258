import math

import pytest
import torch

from genlab.data import load_dataset


def _check_common(ds, n_train=20000, n_test=5000):
    assert ds.kind == "points" and ds.levels is None
    assert ds.train.shape == (n_train, 2) and ds.test.shape == (n_test, 2)
    assert ds.train.dtype == torch.float32
    assert ds.train.abs().max() <= 1 and ds.test.abs().max() <= 1
    again = load_dataset(ds.name, n_train=n_train, n_test=n_test)
    assert torch.equal(ds.train, again.train) and torch.equal(ds.test, again.test)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mixture_matches_spec(name):
    ds = load_dataset(name)
    _check_common(ds)
    if name == "ring8":
        angles = [2 * math.pi * k / 8 for k in range(8)]
        expected = torch.tensor([[2 * math.cos(a), 2 * math.sin(a)] for a in angles])
        assert ds.scale == 2.5 and ds.offset == (0.0, 0.0) and ds.mode_std == 0.02
    else:
        coords = [-4.0, -2.0, 0.0, 2.0, 4.0]
        expected = torch.tensor([[a, b] for a in coords for b in coords])
        assert ds.scale == 5.0 and ds.offset == (0.0, 0.0) and ds.mode_std == 0.05
    got = sorted(map(tuple, ds.modes.tolist()))
    assert torch.allclose(torch.tensor(got), torch.tensor(sorted(map(tuple, expected.tolist()))), atol=1e-6)
    assert ds.num_classes == len(expected)
    for x, y in ((ds.train, ds.train_labels), (ds.test, ds.test_labels)):
        native = ds.to_native(x).double()
        assert y.dtype == torch.int64
        # each point's nearest centre is its labelled mode (modes are >= 1.5 apart, std <= 0.05)
        assert torch.equal(torch.cdist(native, ds.modes.double()).argmin(1), y)
        resid = native - ds.modes.double()[y]
        n = len(x)
        # sample std of N(0, s^2) has relative standard error 1/sqrt(2n): allow 5 of them
        assert resid.std(0).sub(ds.mode_std).abs().max() < 5 * ds.mode_std / math.sqrt(2 * n)
        assert resid.mean(0).abs().max() < 5 * ds.mode_std / math.sqrt(n)
        counts = torch.bincount(y, minlength=ds.num_classes).double()
        p = 1 / ds.num_classes  # uniform mixture weights: binomial count tolerance
        assert (counts - n * p).abs().max() < 5 * math.sqrt(n * p * (1 - p))


def test_swissroll_lies_on_the_spiral():
    ds = load_dataset("swissroll", n_train=2000, n_test=500)
    _check_common(ds, 2000, 500)
    p = ds.to_native(ds.train).double()
    t = torch.linspace(1.5 * math.pi, 4.5 * math.pi, 20000, dtype=torch.float64)
    curve = torch.stack([t * t.cos(), t * t.sin()], 1)  # make_swiss_roll: x = t cos t, z = t sin t
    dist = torch.cdist(p, curve).min(1).values
    # isotropic N(0, 0.25^2) noise per coordinate: distance to the curve is at most |noise|
    assert dist.median() < 0.25 * 1.2
    assert dist.max() < 0.25 * 6


def test_moons_lie_on_two_half_circles():
    ds = load_dataset("moons", n_train=2000, n_test=500)
    _check_common(ds, 2000, 500)
    p = ds.to_native(ds.train).double()
    y = ds.train_labels
    centres = torch.tensor([[0.0, 0.0], [1.0, 0.5]], dtype=torch.float64)  # outer and inner moon
    r = (p - centres[y]).norm(dim=1)
    assert (r - 1).abs().mean() < 0.05  # noise std 0.05: E|r - 1| ~ 0.04
    assert (p[y == 0, 1] > -0.25).all() and (p[y == 1, 1] < 0.75).all()
    assert ds.num_classes == 2


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_test_set_independent_of_n_train(name):
    a = load_dataset(name, n_train=100, n_test=50)
    b = load_dataset(name, n_train=300, n_test=50)
    assert torch.equal(a.test, b.test)
    assert torch.equal(a.train, b.train[:100])


def test_bad_sizes():
    from genlab.errors import DataError

    with pytest.raises(DataError, match="n_train and n_test must be positive"):
        load_dataset("grid25", n_train=0)
