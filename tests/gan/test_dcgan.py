"""DCGAN / MLP networks: output shapes for every data size, tanh range, and spectral norm sigma_max = 1."""

import copy

import pytest
import torch

from genlab.nn.dcgan import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 20, 12)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("sn", [False, True])
def test_image_shapes(shape, sn):
    torch.manual_seed(0)
    g, d = DCGANGenerator(16, shape, width=8), DCGANDiscriminator(shape, width=8, spectral_norm=sn)
    x = g(torch.randn(3, 16))
    assert x.shape == (3, *shape)
    assert x.abs().max().item() <= 1.0
    logits = d(x)
    assert logits.shape == (3,) and torch.isfinite(logits).all()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())


def test_point_shapes():
    g, d = MLPGenerator(5, 2, width=16), MLPDiscriminator(2, width=16, spectral_norm=True)
    x = g(torch.randn(7, 5))
    assert x.shape == (7, 2) and d(x).shape == (7,)


@pytest.mark.parametrize("kind", ["conv", "mlp"])
def test_spectral_norm_makes_every_layer_1_lipschitz(kind):
    torch.manual_seed(0)
    d = DCGANDiscriminator((3, 16, 16), width=8, spectral_norm=True) if kind == "conv" else \
        MLPDiscriminator(2, width=32, spectral_norm=True)
    x = torch.randn(4, 3, 16, 16) if kind == "conv" else torch.randn(4, 2)
    for _ in range(100):  # each training-mode forward does one power iteration
        d(x)
    d = copy.deepcopy(d)  # the trainer's EMA copy must survive the parametrization
    layers = [m for m in d.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert layers
    for m in layers:
        w = m.weight.detach().flatten(1)  # [out, in * k * k], the matrix spectral_norm normalises
        assert abs(torch.linalg.matrix_norm(w, ord=2).item() - 1.0) < 1e-2
