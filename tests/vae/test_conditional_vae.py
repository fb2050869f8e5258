"""The conditional VAE (Sohn et al. 2015): its IWAE bound is a bound on log p(x|y), exact with the true posterior of
a linear-Gaussian model; the label reaches both networks; and it refuses to run without labels."""

import math

import pytest
import torch
from torch.distributions import Normal

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.base import TrainState
from genlab.models.vae import VAE, VAEConfig

W, SIGMA, C = 1.3, 0.4, (-1.0, 0.5, 2.0)  # x = w z + c_y + sigma eps, z ~ N(0, 1)


def _exact_posterior_cvae() -> VAE:
    """1-D linear CVAE (depth 0: one Linear layer each way) whose encoder is the exact posterior q(z|x, y)."""
    info = DataInfo("line", "points", (1,), None, num_classes=3)
    model = VAE(VAEConfig(latent_dim=1, likelihood="gaussian", sigma=SIGMA, depth=0, conditional=True), info)
    prec = 1 + W * W / SIGMA**2  # posterior precision of z given (x, y) (Bishop 2006, eq. 2.117)
    gain = W / SIGMA**2 / prec  # posterior mean: gain (x - c_y)
    with torch.no_grad():
        model.decoder[0].weight.copy_(torch.tensor([[W, *C]]))  # input [z, one-hot y]
        model.decoder[0].bias.zero_()
        model.encoder[0].weight.copy_(torch.tensor([[gain, *(-gain * c for c in C)],  # rows: mu, logvar
                                                    [0.0, *([-math.log(prec)] * 3)]]))
        model.encoder[0].bias.zero_()
    return model


def test_iwae_bound_is_log_p_x_given_y_with_the_true_posterior():
    model = _exact_posterior_cvae()
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (64,), generator=g)
    x = (torch.tensor(C)[y] + math.sqrt(W * W + SIGMA**2) * torch.randn(64, generator=g))[:, None]
    exact = Normal(torch.tensor(C)[y], math.sqrt(W * W + SIGMA**2)).log_prob(x[:, 0])  # log p(x | y)
    for k in (1, 7):  # with q = p(z|x, y) every importance weight is p(x|y): the bound is exact for any K
        torch.testing.assert_close(model.iwae_bound(x, k, g, labels=y), exact, atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(model.log_likelihood(x, g, labels=y), -exact / math.log(2), atol=1e-4, rtol=1e-5)
    wrong = (y + 1) % 3  # under another label the same x is less likely: the label is used
    assert (model.iwae_bound(x, 50, g, labels=wrong) < exact - 1e-3).float().mean() > 0.5


def test_labels_enter_encoder_and_decoder_of_the_conv_cvae():
    torch.manual_seed(0)
    info = DataInfo("digits", "image", (1, 8, 8), 17, num_classes=10)
    model = VAE(VAEConfig(channels=8, channel_mult=(1, 2), conditional=True), info)
    assert model.encoder.body[0].in_channels == 1 + 10  # image + one-hot channel maps
    x, y = torch.rand(6, 1, 8, 8) * 2 - 1, torch.arange(6)
    out = model("main", x, TrainState(0, 0.0), y)
    assert torch.isfinite(out["loss"]) and out["loss"].shape == ()
    z = torch.randn(6, model.latent_dim)
    assert not torch.allclose(model.decode(z, y), model.decode(z, (y + 1) % 10))
    assert not torch.allclose(model.encode(x, y), model.encode(x, (y + 1) % 10))
    assert model.sample(4, torch.Generator().manual_seed(0), labels=torch.tensor([3, 3, 3, 3])).shape == (4, 1, 8, 8)
    frames = model.interpolate(x[0], x[1], steps=5, labels=(0, 1))  # each end under its own label
    torch.testing.assert_close(frames[0], model.reconstruct(x[:1], labels=y[:1])[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(frames[-1], model.reconstruct(x[1:2], labels=y[1:2])[0], atol=1e-5, rtol=1e-5)
    with pytest.raises(ConfigError, match="needs the class labels"):
        model.encode(x)
    with pytest.raises(ConfigError, match="out of range"):
        model.sample(2, labels=torch.tensor([0, 10]))


def test_conditional_needs_data_with_labels():
    with pytest.raises(ConfigError, match="needs data with class labels"):
        VAE(VAEConfig(conditional=True), DataInfo("swissroll", "points", (2,), None))
