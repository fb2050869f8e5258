"""The conditional GAN: a projection discriminator (Miyato & Koyama 2018, eq. 3) and a class-conditional G."""

import pytest
import torch
from torch import nn

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.base import TrainState
from genlab.models.gan import GAN, GANConfig
from genlab.nn.dcgan import ClassBatchNorm2d, DCGANDiscriminator, MLPDiscriminator


@pytest.mark.parametrize("sn", [False, True])
def test_projection_discriminator_is_psi_plus_the_inner_product_with_the_class_embedding(sn):
    torch.manual_seed(0)
    d = DCGANDiscriminator((1, 8, 8), width=8, spectral_norm=sn, num_classes=5).eval()
    x, y = torch.randn(4, 1, 8, 8), torch.tensor([0, 3, 4, 3])
    h = d.net[:-1](x)  # [B, C, 4, 4]: 8x8 needs no padding; psi, the last layer, is a 4x4 conv over all of it
    psi, phi = d.net[-1](h).flatten(), h.flatten(1)
    v = d.embed.table.weight  # [K, C * 16]
    expected = psi + (v[y] * phi).sum(1)  # D(x, y) = psi(phi(x)) + v_y . phi(x)
    torch.testing.assert_close(d(x, y), expected, atol=1e-5, rtol=1e-5)
    # the difference between two classes is linear in phi(x): (v_a - v_b) . phi(x)
    diff = d(x, torch.zeros(4, dtype=torch.long)) - d(x, torch.ones(4, dtype=torch.long))
    torch.testing.assert_close(diff, phi @ (v[0] - v[1]), atol=1e-5, rtol=1e-5)


def test_unconditional_discriminator_is_unchanged_and_mlp_projection_matches():
    torch.manual_seed(0)
    plain = DCGANDiscriminator((1, 8, 8), width=8)
    assert plain.embed is None and not any("embed" in k for k in plain.state_dict())
    m = MLPDiscriminator(2, width=16, depth=2, num_classes=3)
    x, y = torch.randn(5, 2), torch.tensor([0, 1, 2, 1, 0])
    h = m.net[:-1](x)
    torch.testing.assert_close(m(x, y), m.net[-1](h).flatten() + (m.embed.table.weight[y] * h).sum(1))


def test_conditional_gan_trains_and_samples_the_asked_labels():
    torch.manual_seed(0)
    info = DataInfo("digits", "image", (1, 8, 8), 17, num_classes=10)
    model = GAN(GANConfig(g_width=8, d_width=8, latent_dim=16, conditional=True, loss="wgan-gp", r1_gamma=1.0),
                info)
    x, y = torch.rand(6, 1, 8, 8) * 2 - 1, torch.arange(6)
    for group in model.plan(TrainState(0, 0.0)):
        out = model(group, x, TrainState(0, 0.0), y)
        out["loss"].backward()
        assert torch.isfinite(out["loss"])
    assert model.G.net[0].in_channels == 16  # z alone: the class enters through conditional batch norms
    with torch.no_grad():  # per-class gains start equal (1): give the classes different ones
        for m in model.G.modules():
            if isinstance(m, ClassBatchNorm2d):
                m.gain.table.weight.normal_(1.0, 0.3)
    z = model.latents(3, torch.Generator().manual_seed(1))
    a, b = model.generate(z, torch.tensor([1, 1, 1])), model.generate(z, torch.tensor([2, 2, 2]))
    assert not torch.allclose(a, b)
    torch.testing.assert_close(model.sample(3, torch.Generator().manual_seed(1), labels=torch.tensor([1, 1, 1])), a)
    frames = model.interpolate(z[0], z[1], steps=4, labels=(1, 2))  # class embeddings lerped along the path
    torch.testing.assert_close(frames[0], model.generate(z[:1], torch.tensor([1]))[0])
    torch.testing.assert_close(frames[-1], model.generate(z[1:2], torch.tensor([2]))[0])
    with pytest.raises(ConfigError, match="out of range"):
        model.sample(2, labels=torch.tensor([0, 10]))
    with pytest.raises(ConfigError, match="no null class"):
        model.sample(1, labels=torch.tensor([-1]))


def test_projection_embedding_is_spectrally_normalised_with_d():
    d = DCGANDiscriminator((1, 8, 8), width=8, spectral_norm=True, num_classes=4)
    d.train()
    for _ in range(30):  # power iterations run in training-mode forward passes
        d(torch.randn(2, 1, 8, 8), torch.tensor([0, 1]))
    assert isinstance(d.embed.table, nn.Embedding)
    assert abs(torch.linalg.matrix_norm(d.embed.table.weight, 2).item() - 1.0) < 0.05


def test_conditional_batch_norm_is_batch_norm_with_a_gain_and_bias_per_class():
    torch.manual_seed(0)
    cbn = ClassBatchNorm2d(3, num_classes=4)
    with torch.no_grad():
        cbn.gain.table.weight.copy_(torch.rand(4, 3) + 0.5)
        cbn.bias.table.weight.copy_(torch.randn(4, 3))
    x, y = torch.randn(6, 3, 2, 2) * 3 + 1, torch.tensor([0, 1, 2, 3, 1, 0])
    plain = nn.functional.batch_norm(x, None, None, training=True)  # per-channel batch statistics
    expected = plain * cbn.gain.table.weight[y][:, :, None, None] + cbn.bias.table.weight[y][:, :, None, None]
    torch.testing.assert_close(cbn(x, y), expected, atol=1e-5, rtol=1e-5)
    rows = torch.tensor([[0.25, 0.75, 0.0, 0.0]])  # a class mix gives the mixed gain and bias
    mixed = cbn.eval()(x[:1], rows)
    g = 0.25 * cbn.gain.table.weight[0] + 0.75 * cbn.gain.table.weight[1]
    b = 0.25 * cbn.bias.table.weight[0] + 0.75 * cbn.bias.table.weight[1]
    torch.testing.assert_close(mixed, cbn.bn(x[:1]) * g[:, None, None] + b[:, None, None])
