"""Trackers beside metrics.jsonl: asked for by name, never imported otherwise; W&B offline, no network."""

import json
import subprocess
import sys
import time

import pytest

from genlab.config import tracker_names
from genlab.errors import ConfigError
from genlab.train.logger import read_metrics
from genlab.train.trainer import Trainer
from toy_family import toy_config, toy_dataset


def test_no_tracker_module_is_imported_unless_asked_for(tmp_path):
    code = ("import sys; sys.path.insert(0, 'tests'); from toy_family import toy_config, toy_dataset; "
            "from genlab.train.trainer import Trainer; "
            f"Trainer(toy_config(steps=3), toy_dataset(), r'{tmp_path / 'r'}', progress=False).fit(); "
            "print(sorted(m for m in sys.modules if m.startswith(('wandb', 'torch.utils.tensorboard', 'tensorb'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("text,names", [("", []), ("none", []), ("wandb", ["wandb"]),
                                        ("tensorboard, wandb", ["tensorboard", "wandb"])])
def test_tracker_names(text, names):
    assert tracker_names(text) == names


def test_unknown_tracker_is_a_config_error_before_training(tmp_path):
    with pytest.raises(ConfigError, match="unknown tracker 'mlflow'"):
        toy_config(steps=3, trackers="mlflow")


def test_wandb_offline_run_holds_the_logged_losses(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    run = tmp_path / "r"
    Trainer(toy_config(steps=4, trackers="wandb"), toy_dataset(), run, progress=False).fit()
    files = list((run / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(files) == 1
    losses = [row["loss"] for row in read_metrics(run)]
    deadline = time.monotonic() + 60  # wandb's service process may still be flushing after finish() returns
    while not all(json.dumps(v).encode() in files[0].read_bytes() for v in losses) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(losses) == 4 and all(json.dumps(v).encode() in files[0].read_bytes() for v in losses)
