"""Latent diffusion: autoencoder quality, latent scale, the bound's change of variables, sampling cost, and a
full two-stage run through the trainer with checkpoint/resume across the stage boundary."""

import copy
import math
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from genlab.config import build_config
from genlab.data import load_dataset
from genlab.data.dataset import DataInfo
from genlab.edit.tasks import apply_edit
from genlab.errors import ConfigError, NotAvailable
from genlab.models.base import TrainState
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.models.latent_diffusion import LDM, LDMConfig, latent_ddpm_config
from genlab.runs import load_run
from genlab.train.checkpoint import module_state, read_checkpoint
from genlab.train.logger import read_metrics
from genlab.train.trainer import Trainer

sys.path.insert(0, str(Path(__file__).parents[1] / "diffusion"))
from gaussian_truth import expected_bound_terms  # noqa: E402

TINY_DIFFUSION = {"channels": 16, "channel_mults": (1, 2), "T": 100, "steps": 5}


def tiny(**diffusion) -> LDMConfig:
    """A small LDM: 16-channel autoencoder, and the latent DDPM's defaults with TINY_DIFFUSION and `diffusion`."""
    return LDMConfig(ae_channels=16, diffusion=replace(latent_ddpm_config(), **{**TINY_DIFFUSION, **diffusion}))


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _psnr(x, x_hat):
    return float(10 * torch.log10(4.0 / (x - x_hat).pow(2).mean()))


@pytest.fixture(scope="module")
def trained_ae(digits):
    """An LDM whose autoencoder had 300 Adam steps on digits (the diffusion part untouched), plus its PSNRs."""
    torch.manual_seed(0)
    model = LDM(tiny(), digits.info)
    before = _psnr(digits.test, model.reconstruct(digits.test))
    opt = torch.optim.Adam(model.autoencoder.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(0)
    for step in range(300):
        batch = digits.train[torch.randint(0, len(digits.train), (64,), generator=g)]
        loss = model("autoencoder", batch, TrainState(step, 0.0))["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, before, _psnr(digits.test, model.reconstruct(digits.test))


def test_autoencoder_round_trip_reaches_psnr_on_held_out_digits(trained_ae, digits):
    model, before, after = trained_ae
    assert model.latent_shape == (4, 4, 4)  # 2x downsampling of 8x8 digits, 4 channels
    assert before < 12.0  # an untrained decoder is far off (measured ~6 dB)
    assert after > 24.0  # measured 25.9 dB on the test split after 300 steps of batch 64


@pytest.mark.parametrize("stretch", [1.0, 5.0])
def test_scale_factor_gives_unit_std_latents_on_held_out_data(trained_ae, digits, stretch):
    """s is estimated on the training split; the scaled latents of the test split have std ~1, also when the
    encoder's means are stretched 5x (raw std ~5)."""
    model, _, _ = trained_ae
    model = copy.deepcopy(model)
    head = model.autoencoder.encoder.head
    c = model.latent_shape[0]
    with torch.no_grad():
        head.weight[:c] *= stretch
        head.bias[:c] *= stretch
    model.on_group_start("diffusion", digits, TrainState(300, 0.5))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        raw = model._latent_sample(digits.test, g)
        u = raw * model.scale_factor
        rms = float((digits.test - model.autoencoder.decode(raw)).pow(2).mean().sqrt())
    assert abs(float(raw.std()) / stretch - 1.0) < 0.3  # measured 0.95 unstretched
    assert abs(float(u.std()) - 1.0) < 0.1
    if stretch == 1.0:  # the bound's decoder sigma is the maximum-likelihood one: about the reconstruction RMS
        assert abs(float(model.autoencoder.log_sigma.exp()) / rms - 1.0) < 0.3


@pytest.mark.parametrize("s", [0.5, 3.0])
def test_latent_bound_matches_the_closed_form_under_the_optimal_denoiser(s):
    """For u = s z ~ N(0, I) the exact eps-predictor is E[eps | u_t] = sqrt(1 - ab_t) u_t. The expected diffusion
    bound of that predictor is known in closed form (tests/diffusion/gaussian_truth.py, per dimension), so
    E[latent_nll(z)] must equal d (that bound - log s), the -d log s being the change of variables z -> u, and
    must stay above the exact differential entropy of z ~ N(0, s^-2 I)."""
    info = DataInfo("toy", "image", (1, 8, 8), 17)
    model = LDM(tiny(T=1000, prediction="eps"), info)
    ab_all = model.diffusion.process.alpha_bar.float()

    def optimal_eps(u_t, t):
        return (1 - ab_all[t]).sqrt().reshape(-1, 1, 1, 1) * u_t

    del model.diffusion.net
    model.diffusion.net = optimal_eps
    model.scale_factor.fill_(s)
    g = torch.Generator().manual_seed(0)
    z = torch.randn((256, *model.latent_shape), generator=g) / s
    nll = model.latent_nll(z, g)
    d = z[0].numel()
    schedule = model.diffusion.process.schedule
    ab_T = float(schedule.alpha_bar[-1])
    prior = 0.5 * (-1 - math.log(1 - ab_T) + (1 - ab_T) + ab_T)  # E KL(q(u_T|u_0) || N(0, 1)), u_0 ~ N(0, 1)
    expected = d * (float(expected_bound_terms(schedule, 0.0, 1.0).sum()) + prior - math.log(s))
    entropy = d * (0.5 * math.log(2 * math.pi * math.e) - math.log(s))
    mean, sem = float(nll.mean()), float(nll.std()) / math.sqrt(len(nll))
    assert abs(mean - expected) < 4 * sem  # a wrong Jacobian would be off by d |log s| >= 44 nats
    assert mean > entropy + 0.3 * d  # the fixed-variance bound is loose here by ~0.58 nats/dim


@pytest.mark.parametrize("sampler", ["ddpm", "ddim", "dpm_solver", "sde_dpm_solver"])
def test_latent_samplers_recover_unit_gaussian_latents_with_the_exact_v_predictor(sampler):
    """For u ~ N(0, I), E[v | u_t] = sqrt(ab) E[eps | u_t] - sqrt(1 - ab) E[u | u_t] = 0, so a zero v-network is
    exact and every sampler must return N(0, I) latents (no [-1, 1] clipping in latent space); the coarse grid
    costs a little variance (measured std 0.958 ddpm, 0.983 ddim, 1.002 dpm_solver at 100 of 1000 steps)."""
    model = LDM(tiny(T=1000), DataInfo("digits", "image", (1, 8, 8), 17))
    assert model.config.diffusion.prediction == "v"
    del model.diffusion.net
    model.diffusion.net = lambda u_t, t: torch.zeros_like(u_t)
    u = model.sample_latents(512, torch.Generator().manual_seed(0), sampler=sampler, steps=100)
    assert u.shape == (512, 4, 4, 4)
    assert abs(float(u.std()) - 1.0) < 0.06 and abs(float(u.mean())) < 0.02
    assert float(u.abs().max()) > 2.5  # unclipped tails


def test_sampling_a_latent_costs_far_fewer_flops_than_pixel_diffusion():
    """Same U-Net width, sampler and steps on 28x28 pixels vs the 4x7x7 latent (decoder pass included)."""
    info = DataInfo("mnist-like", "image", (1, 28, 28), 256)
    net = {"channels": 16, "channel_mults": (1, 2), "blocks_per_level": 1, "T": 100}
    pixel = DDPM(DDPMConfig(**net), info)
    latent = LDM(LDMConfig(ae_channels=16, diffusion=replace(latent_ddpm_config(), **net)), info)
    assert latent.latent_shape == (4, 7, 7)

    def flops(model):
        with FlopCounterMode(display=False) as counter:
            model.sample(2, torch.Generator().manual_seed(0), sampler="ddim", steps=4)
        return counter.get_total_flops()

    f_pixel, f_latent = flops(pixel), flops(latent)
    assert f_latent < f_pixel / 4  # the U-Net alone is 16x cheaper on 7x7 than on 28x28
    assert latent.nfe(steps=4) == 5 and pixel.nfe(steps=4) == 4


def test_config_errors_name_the_problem():
    info = DataInfo("digits", "image", (1, 8, 8), 17)
    with pytest.raises(ConfigError, match="power of 2"):
        LDM(LDMConfig(downsample=3), info)
    with pytest.raises(ConfigError, match="downsamples by 2, not 4"):
        LDM(LDMConfig(downsample=4, ae_channel_mult=(1, 2)), info)
    with pytest.raises(ConfigError, match="stage1_fraction"):
        LDM(LDMConfig(stage1_fraction=1.0), info)
    with pytest.raises(ConfigError, match="image data"):
        LDM(LDMConfig(), DataInfo("ring", "points", (2,), None))


def _cfg(steps):
    return build_config("ldm", LDM, LDMConfig, cli={
        "train": {"steps": steps, "batch_size": 64, "checkpoint_every": 5, "sample_every": 0, "log_every": 1,
                  "n_grid": 4, "warmup_steps": 2, "device": "cpu"},
        "model": {"ae_channels": 16, "diffusion": TINY_DIFFUSION, "stage1_fraction": 0.5, "scale_images": 300}})


def test_trainer_crosses_the_stage_boundary_and_resume_keeps_the_scale(tmp_path, digits, monkeypatch):
    calls = []
    original = LDM.on_group_start

    def counting(self, group, data, state):
        calls.append((group, state.step))
        original(self, group, data, state)

    monkeypatch.setattr(LDM, "on_group_start", counting)
    a = Trainer(_cfg(12), digits, tmp_path / "a", progress=False)
    a.fit()
    assert calls == [("autoencoder", 0), ("diffusion", 6)]  # progress 6/12 = stage1_fraction
    rows = read_metrics(tmp_path / "a")
    assert all("autoencoder/psnr" in r for r in rows[:6]) and all("diffusion/loss" in r for r in rows[6:12])
    scale = float(a.model.scale_factor)
    assert scale != 1.0 and float(a.ema.scale_factor) == scale  # buffers reach the EMA copy
    live, ema = dict(a.model.autoencoder.named_parameters()), dict(a.ema.autoencoder.named_parameters())
    with torch.no_grad():
        for p in ema.values():
            p.add_(0.01)  # as if the EMA average still lagged behind the frozen autoencoder ...
    a.ema.sample(2, torch.Generator().manual_seed(0), steps=2)
    assert all(torch.equal(live[k], ema[k]) for k in live)  # ... sampling restores the frozen weights

    calls.clear()
    Trainer(_cfg(8), digits, tmp_path / "b", progress=False).fit()  # boundary at step 4, stops at 8
    assert calls == [("autoencoder", 0), ("diffusion", 4)]
    _, tensors = read_checkpoint(tmp_path / "b" / "checkpoints")
    saved = module_state("model", tensors)["scale_factor"]
    calls.clear()
    b = Trainer(_cfg(12), digits, tmp_path / "b", resume=True, progress=False)
    assert float(b.model.scale_factor) == float(saved)
    b.fit()
    assert calls == []  # not re-estimated after resuming past the boundary
    assert float(b.model.scale_factor) == float(saved)

    model, _, _, _ = load_run(tmp_path / "b")  # the EMA weights, as `genlab sample` loads them
    assert float(model.scale_factor) == float(saved)
    model.decode(torch.zeros(1, *model.latent_shape))
    frozen = {k: v for k, v in b.model.autoencoder.named_parameters()}
    assert all(torch.equal(frozen[k], v) for k, v in model.autoencoder.named_parameters())
    g = torch.Generator().manual_seed(0)
    for sampler in ("ddpm", "ddim", "dpm_solver", "sde_dpm_solver"):
        x = model.sample(3, g, sampler=sampler, steps=4)
        assert x.shape == (3, 1, 8, 8) and x.abs().max() <= 1.0
    bpd = model.log_likelihood(digits.test[:8], g, t_subset=8)
    assert bpd.shape == (8,) and torch.isfinite(bpd).all() and (bpd > 0).all()
    assert model.interpolate(digits.test[0], digits.test[1], 5).shape == (5, 1, 8, 8)
    assert model.interpolate(digits.test[0], digits.test[1], 3, mode="lerp").shape == (3, 1, 8, 8)
    assert apply_edit(model, "img2img", digits.test[:2], g, strength=0.5, steps=4).shape == (2, 1, 8, 8)
    with pytest.raises(NotAvailable, match="pixels"):
        apply_edit(model, "inpaint", digits.test[:2], g, mask=torch.ones(2, 1, 8, 8))
