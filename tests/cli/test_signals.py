"""SIGTERM to a running `genlab train`: it finishes the step, writes a checkpoint, exits 4 with one line, and
`--resume` continues from that step to the loss curve of the uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from genlab.cli import main
from genlab.train.logger import read_metrics

SRC = Path(__file__).parents[2] / "src"
STEPS = 150
ARGS = ["train", "vae", "--data", "ring8", "--steps", str(STEPS), "--quiet", "--set", "train.batch_size=64",
        "--set", "train.log_every=1", "--set", "train.checkpoint_every=0", "--set", "train.checkpoint_minutes=0",
        "--set", "train.eval_every=0", "--set", "train.sample_every=0"]


def _curve(run):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run)]


def _lines(path):
    try:
        return path.read_text().count("\n")
    except FileNotFoundError:
        return 0


def test_sigterm_checkpoints_the_step_reached_exits_4_and_resume_finishes_the_same_curve(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "genlab.cli", *ARGS, "--out", str(tmp_path / "runs")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = tmp_path / "runs" / "00000-vae-ring8"
    deadline = time.monotonic() + 120
    while _lines(run / "metrics.jsonl") < 10 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    reached = _lines(run / "metrics.jsonl")
    assert proc.poll() is None and reached >= 10, "the run ended or never started before the signal"
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 4, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("genlab: stopped: SIGTERM at step "), err
    assert f"--resume {run}" in lines[0]
    log = read_metrics(run)
    stopped_at = log[-1]["step"]
    assert reached <= stopped_at < STEPS and took < 30  # it stopped at a step boundary soon after the signal
    assert json.loads((run / "checkpoints" / "latest.json").read_text())["step"] == stopped_at
    assert f"at step {stopped_at} " in lines[0]

    assert main(["train", "vae", "--resume", str(run), "--quiet"]) == 0
    assert main([*ARGS, "--out", str(tmp_path / "whole")]) == 0
    (whole,) = (tmp_path / "whole").iterdir()
    curve = _curve(run)
    assert len(curve) == STEPS and curve == _curve(whole)
