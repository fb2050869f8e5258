"""VAE bounds against closed forms (probabilistic PCA, the linear-Gaussian marginal), training and shapes."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal

from genlab.config import config_from_json
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.base import TrainState
from genlab.models.vae import VAE, VAEConfig
from genlab.nn.conv import subpixel_upsample


def _linear_vae(d: int, q: int) -> VAE:
    """depth=0 MLPs are single Linear layers: a linear encoder and a linear-Gaussian decoder."""
    info = DataInfo("gauss", "points", (d,), None)
    return VAE(VAEConfig(latent_dim=q, likelihood="gaussian_learned", depth=0), info)


def _exact_log_marginal(model: VAE, x: torch.Tensor) -> torch.Tensor:
    """log p_theta(x) of x = W z + b + sigma eps: N(x; b, W W^T + sigma^2 I) (Tipping & Bishop 1999)."""
    lin = model.decoder[0]
    sigma2 = torch.exp(2 * model.likelihood.global_log_sigma)
    cov = lin.weight @ lin.weight.T + sigma2 * torch.eye(x.shape[1])
    return MultivariateNormal(lin.bias, covariance_matrix=cov).log_prob(x)


def _gaussian_data(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(5, 2, generator=g) * 1.5
    offset = torch.tensor([0.5, -1.0, 0.0, 2.0, 0.3])
    return torch.randn(n, 2, generator=g) @ w.T + 0.3 * torch.randn(n, 5, generator=g) + offset


def test_linear_gaussian_vae_reaches_probabilistic_pca_likelihood():
    from sklearn.decomposition import PCA

    x = _gaussian_data(3000, seed=0)
    ppca_ll = PCA(n_components=2).fit(x.numpy()).score(x.numpy())  # mean max-likelihood log p(x), nats
    torch.manual_seed(0)
    model = _linear_vae(5, 2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    steps = 1000
    for s in range(steps):
        for group in opt.param_groups:
            group["lr"] = 3e-2 * (0.5 + 0.5 * math.cos(math.pi * s / steps))
        recon, kl = model.neg_elbo_parts(x)
        opt.zero_grad()
        (recon + kl).mean().backward()
        opt.step()
    with torch.no_grad():
        g = torch.Generator().manual_seed(1)
        elbo = -torch.stack([sum(model.neg_elbo_parts(x, g)) for _ in range(4)]).mean().item()
        iwae = model.iwae_bound(x, 100, g).mean().item()
        exact = _exact_log_marginal(model, x).mean().item()
    # ELBO <= L_100 <= log p_theta(x) <= PPCA maximum likelihood (small margins for Monte Carlo noise)
    assert elbo <= iwae + 0.005
    assert iwae <= exact + 0.005
    assert exact <= ppca_ll + 1e-3
    assert elbo <= ppca_ll
    assert abs(iwae - ppca_ll) < 0.05, (iwae, ppca_ll)
    assert ppca_ll - elbo < 0.15, (elbo, ppca_ll)


def test_iwae_bound_increases_with_k_towards_the_exact_marginal():
    torch.manual_seed(0)
    model = _linear_vae(5, 2)  # untrained: q(z|x) is far from the posterior, so the K-gaps are large
    with torch.no_grad():
        model.likelihood.global_log_sigma.fill_(math.log(0.7))
    x = _gaussian_data(400, seed=1)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        bounds = {k: torch.stack([model.iwae_bound(x, k, g) for _ in range(5)]).mean(0) for k in (1, 10, 100)}
        elbo = -torch.stack([sum(model.neg_elbo_parts(x, g)) for _ in range(5)]).mean(0)
        exact = _exact_log_marginal(model, x)

    def se(d: torch.Tensor) -> float:
        return (d.std() / math.sqrt(d.numel())).item()

    d1 = bounds[1] - elbo  # K = 1 is the ELBO in expectation
    assert abs(d1.mean().item()) < 4 * se(d1)
    for lo, hi in ((1, 10), (10, 100)):  # Burda et al. 2016, Thm 1: L_K <= L_{K+1}
        d = bounds[hi] - bounds[lo]
        assert d.mean().item() > 3 * se(d), (lo, hi, d.mean().item())
    gap = exact - bounds[100]  # and L_K <= log p(x)
    assert gap.mean().item() > -3 * se(gap)


def _digits() -> torch.Tensor:
    from sklearn.datasets import load_digits

    images = torch.tensor(load_digits().images, dtype=torch.float32)  # [1797, 8, 8], values 0..16
    return images[:, None] / 16 * 2 - 1  # 17 levels on [-1, 1]


def test_short_training_on_digits_lowers_negative_elbo():
    x = _digits()
    train, test = x[:-200], x[-200:]
    torch.manual_seed(0)
    info = DataInfo("digits", "image", (1, 8, 8), 17)
    model = VAE(VAEConfig(latent_dim=16, channels=16, channel_mult=(1, 2)), info)
    assert model.likelihood_name == "logistic"

    def test_neg_elbo_bpd() -> float:
        terms = model.elbo_terms(test, torch.Generator().manual_seed(0))
        return (terms["recon"] + terms["kl"]).mean().item()

    before = test_neg_elbo_bpd()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(0)
    for step in range(250):
        batch = train[torch.randint(0, len(train), (64,), generator=g)]
        out = model("main", batch, TrainState(step, step / 250))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    after = test_neg_elbo_bpd()
    iwae = model.log_likelihood(test[:100], torch.Generator().manual_seed(0)).mean().item()
    uniform = math.log2(17)  # bits/dim of the uniform distribution over the 17 levels
    # measured: before ~3.2, after ~2.0, IWAE(100) ~1.9 bits/dim
    assert before > 0.7 * uniform
    assert after < 2.3
    assert iwae < after


def test_forward_terms_and_kl_warmup():
    torch.manual_seed(0)
    model = VAE(VAEConfig(channels=8, channel_mult=(1, 2), beta=0.5, kl_warmup_steps=10),
                DataInfo("digits", "image", (1, 8, 8), 17))
    x = _digits()[:16]
    torch.manual_seed(1)
    out = model("main", x, TrainState(4, 0.0))
    torch.testing.assert_close(out["loss"].detach(), out["recon"] + 0.5 * 0.4 * out["kl"])
    torch.testing.assert_close(out["elbo"], out["recon"] + out["kl"])
    torch.testing.assert_close(out["neg_elbo_bpd"], out["elbo"] / (64 * math.log(2)))
    assert model.beta_eff(50) == 0.5


@pytest.mark.parametrize("shape,levels,spatial,latent", [
    ((1, 8, 8), 17, False, (32,)),
    ((1, 28, 28), 256, False, (16,)),  # 28x28 and 30x30: the 16-d default of conv_vae_size
    ((3, 32, 32), 256, False, (32,)),
    ((3, 30, 30), None, False, (16,)),  # not a multiple of 4: padded and cropped
    ((1, 28, 28), 2, True, (4, 7, 7)),
    ((3, 32, 32), 256, True, (4, 8, 8)),
    ((3, 10, 10), 256, True, (4, 3, 3)),
])
def test_image_shapes(shape, levels, spatial, latent):  # channel_mult from conv_vae_size
    torch.manual_seed(0)
    model = VAE(VAEConfig(channels=8, spatial=spatial), DataInfo("img", "image", shape, levels))
    x = torch.rand(3, *shape) * 2 - 1
    assert model.latent_shape == latent
    assert model.encode(x).shape == (3, *latent)
    assert model.reconstruct(x).shape == (3, *shape)
    assert model.sample(2, torch.Generator().manual_seed(0)).shape == (2, *shape)
    assert model.log_likelihood(x[:2], torch.Generator().manual_seed(0)).shape == (2,)
    out = model("main", x, TrainState(0, 0.0))
    assert out["loss"].shape == () and torch.isfinite(out["loss"])


def test_sampling_is_keyed_by_generator_and_points_model_works():
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=2, hidden=32), DataInfo("toy", "points", (2,), None))
    a = model.sample(5, torch.Generator().manual_seed(3))
    b = model.sample(5, torch.Generator().manual_seed(3))
    assert a.shape == (5, 2) and torch.equal(a, b)
    assert not torch.equal(a, model.sample(5, torch.Generator().manual_seed(4)))


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_interpolation_endpoints_are_the_decoded_endpoints(mode):
    torch.manual_seed(0)
    model = VAE(VAEConfig(channels=8, channel_mult=(1, 2)), DataInfo("digits", "image", (1, 8, 8), 17))
    x = _digits()[:2]
    frames = model.interpolate(x[0], x[1], steps=6, mode=mode)
    assert frames.shape == (6, 1, 8, 8)
    torch.testing.assert_close(frames[0], model.reconstruct(x[:1])[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(frames[-1], model.reconstruct(x[1:])[0], atol=1e-5, rtol=1e-5)


def test_slerp_of_unit_vectors_stays_on_the_sphere():
    from genlab.maths.interpolation import interpolation_path, slerp

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(16, generator=g), torch.randn(16, generator=g)
    a, b = a / a.norm(), b / b.norm()
    path = interpolation_path(a, b, 9, "slerp")
    torch.testing.assert_close(path.norm(dim=1), torch.ones(9))
    # constant angular speed: equal angles between consecutive frames, summing to the angle a-b
    angles = torch.arccos((path[1:] * path[:-1]).sum(1).clamp(-1, 1))
    omega = math.acos(float(a @ b))
    np.testing.assert_allclose(angles.numpy(), omega / 8, atol=1e-4)
    torch.testing.assert_close(slerp(a, b, torch.tensor([0.0, 1.0])), torch.stack([a, b]))
    torch.testing.assert_close(interpolation_path(a, b, 3, "lerp")[1], (a + b) / 2)


def _exact_posterior_linear_vae(levels: int | None, w: float, b: float, sigma: float) -> VAE:
    """1-D model x = w z + b + sigma eps with the encoder set to the exact posterior q(z|x) = p(z|x)."""
    info = DataInfo("line", "points", (1,), levels)
    model = VAE(VAEConfig(latent_dim=1, likelihood="gaussian", sigma=sigma, depth=0), info)
    prec = 1 + w * w / sigma**2  # posterior precision of z (Bishop 2006, eq. 2.117)
    gain = w / sigma**2 / prec
    with torch.no_grad():
        model.decoder[0].weight.fill_(w)
        model.decoder[0].bias.fill_(b)
        model.encoder[0].weight.copy_(torch.tensor([[gain], [0.0]]))  # rows: mu, logvar
        model.encoder[0].bias.copy_(torch.tensor([-gain * b, -math.log(prec)]))
    return model


def test_iwae_is_exact_with_the_true_posterior():
    from torch.distributions import Normal

    w, b, sigma = 0.5, 0.1, 0.3
    model = _exact_posterior_linear_vae(None, w, b, sigma)
    x = torch.linspace(-1.5, 1.5, 7)[:, None]
    ref = Normal(b, math.sqrt(w * w + sigma**2)).log_prob(x[:, 0])
    torch.testing.assert_close(model.iwae_bound(x, 1, torch.Generator().manual_seed(0)), ref)
    bpd = model.log_likelihood(x, torch.Generator().manual_seed(0))  # continuous data: density in bits/dim
    torch.testing.assert_close(bpd, -ref / math.log(2))


def test_gaussian_on_discrete_data_bounds_the_exact_cell_probability():
    """Dequantized density + cell volume (Theis et al. 2016) bounds -log2 P(k), P(k) the mass of k's cell."""
    from torch.distributions import Normal

    from genlab.data.quantize import from_levels

    levels, w, b, sigma = 9, 0.5, 0.1, 0.3
    model = _exact_posterior_linear_vae(levels, w, b, sigma)
    k = torch.arange(levels)
    marginal = Normal(b, math.sqrt(w * w + sigma**2))
    cell_lo, cell_hi = 2 * k / levels - 1, 2 * (k + 1) / levels - 1
    exact_bits = -torch.log(marginal.cdf(cell_hi) - marginal.cdf(cell_lo)) / math.log(2)
    reps = 1000
    x = from_levels(k, levels)[:, None].repeat(reps, 1)
    bpd = model.log_likelihood(x, torch.Generator().manual_seed(0)).reshape(reps, levels)
    mean, se = bpd.mean(0), bpd.std(0) / math.sqrt(reps)
    assert (mean > exact_bits - 3 * se - 1e-4).all()  # a bound (Jensen), up to Monte Carlo noise
    assert (mean - exact_bits).max() < 0.05  # and tight: the density barely varies within a cell


def test_28x28_default_is_the_measured_narrow_network_and_overrides_win():
    info = DataInfo("mnist", "image", (1, 28, 28), 256)
    model = VAE(VAEConfig(), info)
    convs = [m for m in model.encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs if c.kernel_size == (3, 3)] == [8, 8, 8, 8, 32, 32, 32, 64, 64]
    assert model.latent_shape == (16,)
    wide = VAE(VAEConfig(channels=32, channel_mult=(1, 2, 2), latent_dim=32), info)
    assert wide.latent_shape == (32,) and wide.encoder.head[1].in_features == 64 * 7 * 7
    assert VAE(VAEConfig(), DataInfo("digits", "image", (1, 8, 8), 17)).latent_shape == (32,)
    with pytest.raises(ConfigError, match="latent_dim must be >= 1"):
        VAE(VAEConfig(latent_dim=0), info)


def test_subpixel_upsampling_starts_as_conv_then_nearest_neighbour():
    # ICNR (Aitken et al. 2017): with the four sub-pixel kernels equal, conv + PixelShuffle(2) is the conv's
    # own output (channel c = kernel 4c) upsampled by nearest neighbour; F.interpolate is the independent truth.
    torch.manual_seed(0)
    up = subpixel_upsample(6, 3)
    x = torch.randn(2, 6, 5, 7)
    conv = up[0]
    coarse = torch.nn.functional.conv2d(x, conv.weight[::4], conv.bias[::4], padding=1)
    expected = torch.nn.functional.interpolate(coarse, scale_factor=2, mode="nearest")
    torch.testing.assert_close(up(x), expected, rtol=1e-5, atol=1e-6)


def test_vae_decoder_upsampling_default_and_old_runs_keep_theirs():
    info = DataInfo("mnist", "image", (1, 28, 28), 256)
    shuffles = [m for m in VAE(VAEConfig(), info).decoder.modules() if isinstance(m, torch.nn.PixelShuffle)]
    assert len(shuffles) == 2  # 7 -> 14 -> 28
    nearest = VAE(VAEConfig(upsample="nearest"), info).decoder
    assert not any(isinstance(m, torch.nn.PixelShuffle) for m in nearest.modules())
    assert VAE(VAEConfig(), info).decoder(torch.zeros(3, 16)).shape == (3, 2, 28, 28)  # logistic: mu, log s
    with pytest.raises(ConfigError, match="upsample must be one of"):
        VAE(VAEConfig(upsample="bilinear"), info)
    # a run saved before the option existed was built with nearest-neighbour upsampling: its weights still load
    old = {"family": "vae", "model": {"latent_dim": 16}, "data": {"name": "mnist"}, "train": {}}
    assert config_from_json(old).model.upsample == "nearest"
    assert config_from_json({**old, "model": {"upsample": "subpixel"}}).model.upsample == "subpixel"
