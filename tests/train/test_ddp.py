import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

WORKER = Path(__file__).with_name("ddp_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    env.update({"OMP_NUM_THREADS": "1", **(env_extra or {})})
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("groups", ["one", "two"])
def test_two_gloo_processes_match_one_process_on_the_combined_batch(tmp_path, groups):
    _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={_free_port()}",
          "--master_addr=127.0.0.1", str(WORKER), str(tmp_path / "ddp"), groups])
    _run([sys.executable, str(WORKER), str(tmp_path / "single"), groups])
    r0, r1 = load_file(tmp_path / "ddp" / "rank0.safetensors"), load_file(tmp_path / "ddp" / "rank1.safetensors")
    single = load_file(tmp_path / "single" / "rank0.safetensors")
    for k in r0:
        assert torch.equal(r0[k], r1[k]), f"ranks diverged on {k}"
        torch.testing.assert_close(r0[k], single[k], rtol=1e-5, atol=1e-6)
    assert (tmp_path / "ddp" / "run" / "checkpoints" / "latest.json").is_file()  # rank 0 saved


def test_a_signal_on_one_rank_stops_every_rank_after_the_same_step(tmp_path):
    _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={_free_port()}",
          "--master_addr=127.0.0.1", str(WORKER.with_name("ddp_stop_worker.py")), str(tmp_path)])
    r0, r1 = (json.loads((tmp_path / f"stopped-rank{r}.json").read_text()) for r in (0, 1))
    assert r0["step"] == r1["step"] == 4 and r0["exit_code"] == r1["exit_code"] == 4
    assert r1["message"].startswith("SIGTERM at step 4") and "another process" in r0["message"]
    assert json.loads((tmp_path / "run" / "checkpoints" / "latest.json").read_text())["step"] == 4
