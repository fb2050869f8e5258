"""The GAN family through the trainer's protocol: groups, plan, one step per loss, sampling, ring8."""

import copy
import math

import pytest
import torch

from defaults_runs import classes_covered, modes_and_hq
from genlab.data.dataset import DataInfo, Dataset
from genlab.errors import ConfigError, NotAvailable
from genlab.maths.interpolation import lerp as _lerp
from genlab.maths.interpolation import slerp as _slerp
from genlab.metrics.modes import high_quality_share, modes_covered
from genlab.models.base import TrainState
from genlab.models.gan import GAN, GANConfig
from genlab.train.diagnostics import training_diagnostics

ST = TrainState(step=0, progress=0.0)


def _ring8(n: int, seed: int) -> Dataset:
    """genlab's ring8: 8 modes on a circle of radius 2, std 0.02, stored as native / 2.5."""
    g = torch.Generator().manual_seed(seed)
    ang = torch.arange(8) * 2 * math.pi / 8
    modes = 2.0 * torch.stack([ang.cos(), ang.sin()], 1)
    x = modes[torch.randint(0, 8, (n,), generator=g)] + 0.02 * torch.randn(n, 2, generator=g)
    return Dataset("ring8", "points", x / 2.5, x[: n // 10] / 2.5, None, modes=modes, mode_std=0.02,
                   scale=2.5)


def _optimizers(model: GAN) -> dict[str, torch.optim.Optimizer]:
    groups = model.optimizer_groups()
    return {k: torch.optim.Adam(v["params"], lr=v["lr"], betas=v["betas"]) for k, v in groups.items()}


def _iteration(model, opts, batch_fn, state) -> dict[str, dict]:
    """One trainer iteration: for each planned group, zero its grads, forward, backward, step."""
    logs = {}
    for group in model.plan(state):
        opts[group].zero_grad(set_to_none=True)
        out = model(group, batch_fn(), state)
        out["loss"].backward()
        opts[group].step()
        logs[group] = out
    return logs


POINTS = DataInfo("ring8", "points", (2,), None)
DIGITS = DataInfo("digits", "image", (1, 8, 8), 17)


def test_groups_and_plan():
    m = GAN(GANConfig(lr_g=1e-4, lr_d=4e-4, n_disc=3), POINTS)
    groups = m.optimizer_groups()
    assert set(groups) == {"disc", "gen"}
    assert {id(p) for p in groups["disc"]["params"]} == {id(p) for p in m.D.parameters()}
    assert {id(p) for p in groups["gen"]["params"]} == {id(p) for p in m.G.parameters()}
    assert groups["disc"]["lr"] == 4e-4 and groups["gen"]["lr"] == 1e-4
    assert groups["gen"]["betas"] == groups["disc"]["betas"] == (0.5, 0.999)
    assert m.plan(ST) == ["disc", "disc", "disc", "gen"]


@pytest.mark.parametrize("info", [POINTS, DIGITS], ids=["points", "digits"])
@pytest.mark.parametrize("loss,r1,sn", [("ns", 0.0, False), ("minimax", 0.0, True), ("hinge", 0.0, True),
                                        ("wgan-gp", 0.0, False), ("ns", 1.0, False)])
def test_one_iteration_per_loss(info, loss, r1, sn):
    torch.manual_seed(0)
    m = GAN(GANConfig(loss=loss, r1_gamma=r1, spectral_norm=sn, latent_dim=8, g_width=8, d_width=8), info)
    before = {k: v.detach().clone() for k, v in m.state_dict().items()}
    logs = _iteration(m, _optimizers(m), lambda: torch.rand(16, *info.shape) * 2 - 1, ST)
    assert set(logs["disc"]) >= {"loss", "d_loss", "d_real", "d_fake"}
    assert set(logs["gen"]) >= {"loss", "g_loss", "d_fake"}
    assert ("gp" in logs["disc"]) == (loss == "wgan-gp") and ("r1" in logs["disc"]) == (r1 > 0)
    assert all(torch.isfinite(v).all() and v.dim() == 0 for out in logs.values() for v in out.values())
    changed = {k for k, v in m.state_dict().items() if not torch.equal(v, before[k])}
    assert any(k.startswith("G.") for k in changed) and any(k.startswith("D.") for k in changed)


def test_disc_step_matches_minimax_formula_and_gen_step_leaves_d_untouched():
    m = GAN(GANConfig(latent_dim=4, g_width=16, d_width=16), POINTS)
    real = torch.rand(32, 2) * 2 - 1
    torch.manual_seed(5)
    out = m("disc", real, ST)
    torch.manual_seed(5)
    with torch.no_grad():
        lr, lf = m.D(real).double(), m.D(m.G(torch.randn(32, 4))).double()
    sig = torch.sigmoid
    want = -torch.log(sig(lr)).mean() - torch.log(1 - sig(lf)).mean()  # Goodfellow et al. 2014, eq. 1
    assert abs(out["d_loss"].item() - want.item()) < 1e-5
    assert abs(out["d_real"].item() - lr.mean().item()) < 1e-6
    m.zero_grad(set_to_none=True)
    m("gen", real, ST)["loss"].backward()
    assert all(p.grad is None for p in m.D.parameters())
    assert all(p.grad is not None for p in m.G.parameters())
    assert all(p.requires_grad for p in m.D.parameters())


def test_sampling_truncation_and_no_likelihood():
    m = GAN(GANConfig(latent_dim=6, g_width=8, d_width=8), DIGITS)
    g = torch.Generator().manual_seed(0)
    x = m.sample(5, g)
    assert x.shape == (5, 1, 8, 8) and x.abs().max() <= 1
    assert torch.equal(m.sample(5, torch.Generator().manual_seed(0)), x)  # keyed by the generator
    z = m.latents(500, torch.Generator().manual_seed(1), truncation=0.5)
    assert z.abs().max().item() <= 0.5
    assert m.sample(3, g, truncation=0.7).shape == (3, 1, 8, 8)
    assert m.sample_options() == {"truncation": None}
    assert m.training  # sampling in eval mode restores the training flag
    with pytest.raises(NotAvailable):
        m.log_likelihood(x)
    with pytest.raises(ConfigError):
        m.sample(2, g, sampler="ddim")
    with pytest.raises(ConfigError):
        GAN(GANConfig(loss="lsgan"), POINTS)


def test_interpolation_paths():
    g = torch.Generator().manual_seed(0)
    z_a = torch.randn(16, generator=g, dtype=torch.float64)
    z_b = torch.randn(16, generator=g, dtype=torch.float64)
    z_b = z_b - (z_b @ z_a) / (z_a @ z_a) * z_a
    z_b = z_b / z_b.norm() * z_a.norm()  # orthogonal, same norm
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    s, li = _slerp(z_a, z_b, t), _lerp(z_a, z_b, t)
    assert torch.allclose(s[0], z_a) and torch.allclose(s[-1], z_b)
    assert torch.allclose(s.norm(dim=1), z_a.norm().expand(5))  # slerp stays on the sphere
    assert abs(li[2].norm().item() - z_a.norm().item() / math.sqrt(2)) < 1e-10  # lerp cuts the chord
    # slerp midpoint of orthogonal unit-norm vectors is (z_a + z_b) / sqrt(2)
    assert torch.allclose(s[2], (z_a + z_b) / math.sqrt(2))
    m = GAN(GANConfig(latent_dim=16, g_width=8, d_width=8), DIGITS)
    frames = m.interpolate(z_a.float(), z_b.float(), steps=5, mode="lerp")
    assert frames.shape == (5, 1, 8, 8)
    assert torch.allclose(frames[0], m.generate(z_a.float()[None])[0], atol=1e-6)


def test_diagnostics_on_ring8():
    data = _ring8(2000, 0)
    m = GAN(GANConfig(latent_dim=4, g_width=16, d_width=16), data.info)
    d = training_diagnostics(m, data, torch.Generator().manual_seed(0))
    x = data.to_native(m.sample(2000, torch.Generator().manual_seed(0)))
    assert d["modes_covered"] == modes_covered(x, data.modes, 0.02) and d["modes_total"] == 8.0
    assert d["hq_share"] == high_quality_share(x, data.modes, 0.02)
    assert training_diagnostics(m, Dataset("x", "points", data.train, data.test, None), torch.Generator()) == {}


def test_default_gan_covers_ring8(tmp_path):
    # `genlab train gan --data ring8` as a user gets it (profile gan/points), for 1500 steps of the ~4000-8000 it
    # makes in compare's 70 s. Measured (benchmarks/results/defaults.md, tests below): all 8 modes, high-quality
    # share ~0.9 from 1000 steps on; the former defaults (latent 64, EMA 0.999) covered 0 modes here.
    covered, hq = modes_and_hq("gan", "ring8", seed=0, steps=1500, run_dir=tmp_path)
    assert covered == 8 and hq >= 0.5


@pytest.mark.slow
@pytest.mark.parametrize("data,steps,least", [("ring8", 3000, 8), ("grid25", 4000, 20)])
def test_default_gan_on_mixtures_over_seeds(tmp_path, data, steps, least):
    """The mark of issue 15 in 2 of 3 seeds, at about half the steps compare's 70 s gives on a quiet 2-core CPU."""
    runs = [modes_and_hq("gan", data, seed, steps, tmp_path / f"seed{seed}") for seed in range(3)]
    assert sum(c >= least and hq >= 0.5 for c, hq in runs) >= 2, runs


@pytest.mark.slow
def test_default_gan_covers_the_digit_classes(tmp_path):
    covered = [classes_covered("gan", seed, 1500, tmp_path / f"seed{seed}") for seed in range(3)]
    assert min(covered) >= 8, covered


def test_state_dict_round_trip_with_spectral_norm():
    torch.manual_seed(0)
    cfg = GANConfig(spectral_norm=True, latent_dim=6, g_width=8, d_width=8)
    m = GAN(cfg, DIGITS)
    _iteration(m, _optimizers(m), lambda: torch.rand(8, 1, 8, 8) * 2 - 1, ST)
    state = {k: v.clone() for k, v in m.state_dict().items()}
    fresh = GAN(cfg, DIGITS)
    fresh.load_state_dict(state)
    ema = copy.deepcopy(m)  # the trainer's EMA copy
    x = torch.rand(4, 1, 8, 8)
    m.eval(), fresh.eval(), ema.eval()
    assert torch.equal(fresh.D(x), m.D(x)) and torch.equal(ema.D(x), m.D(x))
    z = torch.randn(4, 6)
    assert torch.equal(fresh.generate(z), m.generate(z))
