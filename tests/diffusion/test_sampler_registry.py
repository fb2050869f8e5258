"""A sampler is one file plus one registry line: a sampler registered at run time, with an option of its
own, is used by the DDPM and LDM sampling path, by seeded generation and by the command line's option
parsing without any change to them."""

import argparse
import math

import pytest
import torch

from genlab import samplers
from genlab.cli.options import sampling_options_from_args
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.evaluation.generate import check_sample_options, generate
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.samplers.base import Sampler
from genlab.samplers.timesteps import alpha_bar_pairs


def sample_scaled_ddim(denoiser, x_T, timesteps, alpha_bar, generator=None, callback=None, gain=1.0):
    """Deterministic DDIM, with the final x0 multiplied by `gain` (a test sampler with an option of its own)."""
    x = x_T
    for t, _, ab_prev in alpha_bar_pairs(timesteps, alpha_bar):
        d = denoiser(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x = math.sqrt(ab_prev) * d.x0 + math.sqrt(1 - ab_prev) * d.eps
    return gain * x


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(samplers.SAMPLERS, "scaled_ddim", Sampler("scaled_ddim", sample_scaled_ddim, {"gain": 1.0}))


def test_a_registered_sampler_runs_through_the_model_and_generation(registered):
    info = DataInfo("pts", "points", (2,), None)
    model = DDPM(DDPMConfig(T=50, steps=5, hidden=16, depth=1), info).eval()
    assert model.sample_options()["gain"] == 1.0  # the model offers the new sampler's option unchanged
    a = generate(model, 6, seed=1, batch_size=4, sampler="scaled_ddim")
    b = generate(model, 6, seed=1, batch_size=3, sampler="scaled_ddim", gain=2.0)
    torch.testing.assert_close(2 * a, b)  # same per-image noise, the option reaches the sampler
    ddim = generate(model, 6, seed=1, batch_size=6, sampler="ddim", eta=0.0)
    torch.testing.assert_close(a, ddim, atol=1e-5, rtol=1e-5)  # it is DDIM (eta 0) at gain 1
    assert model.nfe(sampler="scaled_ddim", steps=7) == 7


def test_the_command_line_takes_the_new_option(registered):
    a = argparse.Namespace(sampler="scaled_ddim", sample_steps=None, eta=None, guidance=None, truncation=None,
                           temperature=None,
                           sampler_option=["gain=0.5"])
    opts = sampling_options_from_args(a)
    assert opts["gain"] == 0.5 and isinstance(opts["gain"], float)
    model = DDPM(DDPMConfig(T=50, steps=5, hidden=16, depth=1), DataInfo("pts", "points", (2,), None))
    assert check_sample_options(model, opts) == {"sampler": "scaled_ddim", "gain": 0.5}
    with pytest.raises(ConfigError, match="gain"):
        sampling_options_from_args(argparse.Namespace(**{**vars(a), "sampler_option": ["gain=loud"]}))


def test_one_place_checks_sampler_names():
    with pytest.raises(ConfigError, match="unknown sampler 'euler'.*ddpm, ddim"):
        samplers.get_sampler("euler")
    model = DDPM(DDPMConfig(T=50, steps=5, hidden=16, depth=1), DataInfo("pts", "points", (2,), None))
    with pytest.raises(ConfigError, match="unknown sampler 'euler'"):
        model.sample(2, sampler="euler")
    with pytest.raises(ConfigError, match="unknown sampler 'euler'"):
        DDPM(DDPMConfig(sampler="euler"), DataInfo("pts", "points", (2,), None))
