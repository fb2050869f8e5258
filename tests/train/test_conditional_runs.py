"""Conditional runs resume exactly and round-trip through their run folders, as unconditional runs do; and a
sample keyed by (seed, image index) keeps its label whatever the batch size."""

from __future__ import annotations

import pytest
import torch

from genlab.config import run_config
from genlab.data import load_dataset
from genlab.errors import Stopped
from genlab.evaluation.generate import generate
from genlab.runs import load_run
from genlab.train.checkpoint import module_state, read_checkpoint
from genlab.train.logger import read_metrics
from genlab.train.preempt import StopSignal
from genlab.train.trainer import Trainer

QUIET = ["train.log_every=1", "train.sample_every=0", "train.eval_every=0", "train.checkpoint_minutes=0",
         "train.batch_size=32", "model.conditional=true"]
CASES = [("vae", "ring8", []), ("gan", "ring8", []), ("ddpm", "ring8", []),
         ("ldm", "digits", ["model.diffusion.channels=16", "model.ae_channels=8"])]


def _cfg(family, data, steps, extra):
    return run_config(family, sets=[*QUIET, *extra], data={"name": data}, train={"steps": steps, "seed": 1,
                                                                                   "device": "cpu"})


class StopAt(StopSignal):
    """A SIGTERM that arrives during step `step` (counted from 1): the run stops there with a checkpoint."""

    def __init__(self, step: int):
        super().__init__()
        self.step, self.trainer = step, None

    @property
    def requested(self) -> bool:
        return self.trainer is not None and self.trainer.step >= self.step


def _curve(run):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run)]


@pytest.mark.parametrize("family,data,extra", CASES)
def test_conditional_run_resumes_exactly(tmp_path, family, data, extra):
    ds = load_dataset(data)
    Trainer(_cfg(family, data, 8, extra), ds, tmp_path / "a", progress=False).fit()
    stop = StopAt(5)  # the same budget, stopped at step 5 (latent diffusion's stages follow the budget)
    stop.trainer = Trainer(_cfg(family, data, 8, extra), ds, tmp_path / "b", progress=False, stop=stop)
    with pytest.raises(Stopped, match="at step 5"):
        stop.trainer.fit()
    Trainer(_cfg(family, data, 8, extra), ds, tmp_path / "b", resume=True, progress=False).fit()
    assert len(_curve(tmp_path / "a")) == 8 and _curve(tmp_path / "a") == _curve(tmp_path / "b")
    _, ta = read_checkpoint(tmp_path / "a" / "checkpoints")
    _, tb = read_checkpoint(tmp_path / "b" / "checkpoints")
    for prefix in ("model", "ema"):
        wa, wb = module_state(prefix, ta), module_state(prefix, tb)
        assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    # the run folder alone rebuilds a conditional model that samples the class asked for, image by image
    model, cfg, info, _ = load_run(tmp_path / "a")
    assert model.conditional and cfg.model.conditional and info.num_classes == ds.num_classes
    x = generate(model, 6, seed=3, batch_size=6, labels=[2, 0, 1])
    y = generate(model, 4, seed=3, batch_size=3, labels=[2, 0, 1])
    torch.testing.assert_close(x[:4], y, atol=1e-5, rtol=1e-5)  # image k keeps seed k and label k mod 3
    z = generate(model, 6, seed=3, batch_size=6, labels=[1])
    assert not torch.allclose(x[0], z[0])  # same seed, another label: another image


def test_unconditional_checkpoints_hold_no_label_tensors(tmp_path):
    ds = load_dataset("ring8")
    cfg = run_config("ddpm", sets=QUIET[:-1], data={"name": "ring8"}, train={"steps": 2, "device": "cpu"})
    Trainer(cfg, ds, tmp_path / "u", progress=False).fit()
    _, tensors = read_checkpoint(tmp_path / "u" / "checkpoints")
    assert not any("label" in k for k in tensors)
