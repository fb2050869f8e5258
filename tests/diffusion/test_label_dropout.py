"""Label dropout makes one network both conditional and unconditional (Ho & Salimans 2022): on 2-D data with four
unequal modes, the null class of a trained conditional DDPM draws the modes in the proportions an unconditional
DDPM draws them, and in the data's proportions; each label draws its own mode."""

from __future__ import annotations

import pytest
import torch

from genlab.config import run_config
from genlab.data.dataset import Dataset
from genlab.train.trainer import Trainer

WEIGHTS = torch.tensor([0.4, 0.3, 0.2, 0.1])
CENTRES = torch.tensor([[-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]])
STD = 0.05


def four_modes(n_train: int = 4000) -> Dataset:
    def draw(n, seed):
        g = torch.Generator().manual_seed(seed)
        y = torch.multinomial(WEIGHTS, n, replacement=True, generator=g)
        return CENTRES[y] + STD * torch.randn(n, 2, generator=g), y

    (tr, ytr), (te, yte) = draw(n_train, 0), draw(1000, 1)
    return Dataset("four-modes", "points", tr, te, None, ytr, yte, 4, modes=CENTRES, mode_std=STD)


def mode_histogram(x: torch.Tensor) -> torch.Tensor:
    """Share of the samples within 4 std of each mode, [4], over the samples near some mode (and that share)."""
    d = torch.cdist(x.double(), CENTRES.double())
    near = d.min(1).values < 4 * STD
    counts = torch.bincount(d.argmin(1)[near], minlength=4).double()
    return counts / counts.sum(), near.double().mean()


def _train(tmp_path, data, steps: int, *sets: str):
    quiet = ["train.sample_every=0", "train.eval_every=0", "train.checkpoint_every=0", "train.checkpoint_minutes=0",
             "model.hidden=64", "model.depth=3"]
    cfg = run_config("ddpm", sets=[*quiet, *sets], train={"steps": steps, "seed": 0, "device": "cpu"})
    trainer = Trainer(cfg, data, tmp_path / ("cond" if "model.conditional=true" in sets else "uncond"),
                      progress=False)
    trainer.fit()
    return trainer.ema.eval()


def _check(tmp_path, steps: int, dropout: float, tv_max: float):
    data = four_modes()
    cond = _train(tmp_path, data, steps, "model.conditional=true", f"model.label_dropout={dropout}")
    uncond = _train(tmp_path, data, steps)
    n = 3000
    null, null_near = mode_histogram(cond.sample(n, torch.Generator().manual_seed(1), labels=torch.full((n,), -1)))
    plain, plain_near = mode_histogram(uncond.sample(n, torch.Generator().manual_seed(1)))
    assert null_near > 0.7 and plain_near > 0.7
    assert 0.5 * (null - plain).abs().sum() < tv_max  # total variation between the two models' mode histograms
    assert 0.5 * (null - WEIGHTS.double()).abs().sum() < tv_max
    for k in range(4):
        per_class, _ = mode_histogram(cond.sample(200, torch.Generator().manual_seed(2), labels=torch.full((200,), k)))
        assert per_class[k] > 0.95


def test_null_label_matches_an_unconditional_model(tmp_path):
    # a dropout of 0.5 gives the null class half the updates, so a short run trains it as far as the plain model
    _check(tmp_path, 1200, 0.5, 0.08)


@pytest.mark.slow
def test_null_label_matches_an_unconditional_model_at_the_default_dropout(tmp_path):
    _check(tmp_path, 8000, 0.1, 0.06)
