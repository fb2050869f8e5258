"""Min-SNR-gamma (Hang et al. 2023): each target's weight is its formula, every target's weighted loss is
min(SNR, gamma) times its x0 error (the paper's definition), and gamma -> infinity gives Ho et al.'s eps MSE."""

import math

import pytest
import torch

from genlab.errors import ConfigError
from genlab.models.diffusion.min_snr import min_snr_weight
from genlab.models.diffusion.parameterization import to_eps_x0
from genlab.models.diffusion.process import GaussianDiffusion
from genlab.models.diffusion.schedule import Schedule


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_weights_equal_their_formula(prediction):
    gamma = 5.0
    for ab in (0.999, 0.9, 5 / 6, 0.5, 0.01):
        s = ab / (1 - ab)  # SNR
        expected = {"eps": min(s, gamma) / s, "x0": min(s, gamma), "v": min(s, gamma) / (s + 1)}[prediction]
        got = float(min_snr_weight(torch.tensor([ab], dtype=torch.float64), gamma, prediction))
        assert got == pytest.approx(expected, rel=1e-12)


def _losses(prediction, gamma, seed=0):
    process = GaussianDiffusion(Schedule.named("linear", 1000), prediction, min_snr_gamma=gamma)
    g = torch.Generator().manual_seed(seed)
    x0, noise = torch.randn(64, 3, generator=g).double(), torch.randn(64, 3, generator=g).double()
    t = torch.randint(0, 1000, (64,), generator=g)
    out = torch.randn(64, 3, generator=g).double()  # a fixed "network output" in the target's units
    terms = process.training_losses(lambda x, tt: out, x0, t, noise, levels=None)
    ab = process.alpha_bar[t].reshape(-1, 1)
    eps_hat, x0_hat = to_eps_x0(out, process.q_sample(x0, t, noise), ab, prediction)
    return terms, ab.reshape(-1), ((x0 - x0_hat) ** 2).mean(1), ((noise - eps_hat) ** 2).mean(1)


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_weighted_loss_is_min_snr_times_the_x0_error(prediction):
    terms, ab, x0_err, _ = _losses(prediction, 5.0)
    snr = ab / (1 - ab)
    torch.testing.assert_close(terms["loss"], torch.clamp(snr, max=5.0) * x0_err, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("prediction", ["eps", "x0", "v"])
def test_gamma_to_infinity_gives_the_eps_mse(prediction):
    terms, _, _, eps_err = _losses(prediction, 1e300)
    torch.testing.assert_close(terms["loss"], eps_err, rtol=1e-9, atol=1e-12)
    if prediction == "eps":
        assert torch.equal(terms["loss"], terms["mse"])


def test_gamma_off_is_the_unweighted_mse_and_small_gamma_changes_it():
    off, _, _, _ = _losses("eps", 0.0)
    on, _, _, _ = _losses("eps", 1.0)
    assert torch.equal(off["loss"], off["mse"]) and not torch.allclose(on["loss"], off["loss"])
    assert math.isfinite(float(on["loss"].mean()))


def test_negative_gamma_is_a_config_error():
    from genlab.data.dataset import DataInfo
    from genlab.models.diffusion.model import DDPM, DDPMConfig

    with pytest.raises(ConfigError, match="min_snr_gamma"):
        DDPM(DDPMConfig(min_snr_gamma=-1.0), DataInfo("pts", "points", (2,), None))
