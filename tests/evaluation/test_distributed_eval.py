"""`genlab sample` and `genlab evaluate` under torchrun: 2 gloo processes share the batches by per-image seed and
the likelihood bound by per-batch generator, rank 0 writes, and the files equal one process's."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from genlab.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    return {**env, "OMP_NUM_THREADS": "1"}


def _genlab(*args, processes=1):
    launch = [sys.executable, "-m", "genlab.cli"] if processes == 1 else [
        sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}", "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}", "-m", "genlab.cli"]
    r = subprocess.run([*launch, *args], env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]


def _without_timing(d):
    """metrics.json minus what a clock measures (throughput, memory) and the process count."""
    if isinstance(d, dict):
        return {k: _without_timing(v) for k, v in d.items()
                if not any(w in k for w in ("per_second", "seconds", "processes", "peak_memory", "per_s"))}
    return [_without_timing(v) for v in d] if isinstance(d, list) else d


@pytest.fixture(scope="module")
def ddpm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    # T = 100: the bound's 1,000 test points cost T network calls each, most of this test's time at T = 1000
    assert main(["train", "ddpm", "--data", "ring8", "--steps", "30", "--set", "model.T=100", "--out", str(out),
                 "--quiet", "--device", "cpu"]) == 0
    return next(p for p in out.iterdir() if p.is_dir())


def test_two_processes_draw_the_samples_one_process_draws(ddpm_run, tmp_path):
    common = ("sample", str(ddpm_run), "--samples", "500", "--batch-size", "100", "--steps", "10", "--device", "cpu")
    _genlab(*common, "--out", str(tmp_path / "one.npz"))
    _genlab(*common, "--out", str(tmp_path / "two.npz"), processes=2)
    one, two = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert list(one) == list(two) and all(np.array_equal(one[k], two[k]) for k in one)
    assert len(one[list(one)[0]]) == 500


def test_two_processes_give_one_process_metrics(ddpm_run, tmp_path):
    """1,100 samples = 3 batches of 500 (ranks 0,1,0) and 1,000 test points = 2 likelihood batches (ranks 0,1)."""
    args = ("evaluate", str(ddpm_run), "--samples", "1100", "--steps", "10", "--device", "cpu")
    _genlab(*args)
    one = json.loads((ddpm_run / "metrics.json").read_text())
    (ddpm_run / "metrics.json").unlink()
    _genlab(*args, processes=2)
    two = json.loads((ddpm_run / "metrics.json").read_text())
    assert two["cost"]["processes"] == 2.0 and one["cost"]["processes"] == 1.0
    assert one["likelihood"]["n"] == 1000.0 and np.isfinite(one["likelihood"]["bits_per_dim"])
    assert _without_timing(one) == _without_timing(two)
