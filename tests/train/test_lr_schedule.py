import math
import signal

import pytest

from genlab.errors import ConfigError, Stopped
from genlab.train import preempt
from genlab.train.logger import read_metrics
from genlab.train.lr_schedule import lr_factor
from genlab.train.trainer import Trainer
from toy_family import toy_config, toy_dataset


def test_factors_follow_their_formulas():
    for p in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
        assert lr_factor("constant", p) == 1.0
        assert lr_factor("linear", p) == pytest.approx(1.0 - p)
        assert lr_factor("cosine", p) == pytest.approx(math.cos(math.pi * p / 2) ** 2)  # (1 + cos 2a) / 2
    # a group that trains over (0.3, 1.0) of the budget starts its decay at 0.3 and holds before it
    assert lr_factor("cosine", 0.1, (0.3, 1.0)) == 1.0
    assert lr_factor("linear", 0.65, (0.3, 1.0)) == pytest.approx(0.5)
    assert lr_factor("linear", 0.5, (0.0, 0.3)) == 0.0  # a stage that has ended


def test_the_trainer_sets_the_scheduled_rate_each_step(tmp_path):
    cfg = toy_config(steps=20, warmup_steps=4, lr_schedule="cosine", log_every=1)
    Trainer(cfg, toy_dataset(), tmp_path / "r", progress=False).fit()
    logged = [r["lr_factor"] for r in read_metrics(tmp_path / "r")]
    # step s (0-based) runs at progress s / 20, after warm-up min(1, (s + 1) / 4)
    want = [min(1.0, (s + 1) / 4) * 0.5 * (1 + math.cos(math.pi * s / 20)) for s in range(20)]
    assert logged == pytest.approx(want, rel=1e-12)


def test_a_run_stopped_and_resumed_follows_the_same_schedule(tmp_path):
    data = toy_dataset()
    kw = {"steps": 12, "lr_schedule": "linear", "warmup_steps": 0, "log_every": 1, "checkpoint_every": 0}
    Trainer(toy_config(**kw), data, tmp_path / "a", progress=False).fit()
    stop = preempt.StopSignal()
    with pytest.raises(Stopped, match="at step 6"):
        Trainer(toy_config(**kw), data, tmp_path / "b", progress=False, stop=stop, probes=(0.5,),
                probe_fn=lambda ema: stop.handle(signal.SIGTERM) or {}).fit()
    Trainer(toy_config(**kw), data, tmp_path / "b", resume=True, progress=False).fit()
    la, lb = ([{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run) if "loss" in r]
              for run in (tmp_path / "a", tmp_path / "b"))  # without the probe's line
    assert [r["lr_factor"] for r in la] == pytest.approx([1 - s / 12 for s in range(12)], rel=1e-12)
    assert la == lb


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ConfigError, match="train.lr_schedule: choose constant, cosine, linear, got 'step'"):
        toy_config(steps=5, lr_schedule="step")
