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


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR")}
    return {**env, "OMP_NUM_THREADS": "1"}


def _run(args, ok=True):
    r = subprocess.run(args, env=_env(), capture_output=True, text=True, timeout=300)
    assert (r.returncode == 0) == ok, r.stderr[-3000:]


def _torchrun(out, *worker_args, ok=True):
    _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={_free_port()}",
          "--master_addr=127.0.0.1", str(WORKER), str(out), *worker_args], ok=ok)


def _assert_same_weights(ddp_dir, single_dir):
    r0, r1 = load_file(ddp_dir / "rank0.safetensors"), load_file(ddp_dir / "rank1.safetensors")
    single = load_file(single_dir / "rank0.safetensors")
    for k in r0:
        assert torch.equal(r0[k], r1[k]), f"ranks diverged on {k}"
        torch.testing.assert_close(r0[k], single[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("groups", ["one", "two"])
def test_two_gloo_processes_match_one_process_on_the_combined_batch(tmp_path, groups):
    _torchrun(tmp_path / "ddp", groups)
    _run([sys.executable, str(WORKER), str(tmp_path / "single"), groups])
    _assert_same_weights(tmp_path / "ddp", tmp_path / "single")
    assert (tmp_path / "ddp" / "run" / "checkpoints" / "latest.json").is_file()  # rank 0 saved


def test_ranks_on_a_time_budget_stop_at_one_step_with_one_learning_rate(tmp_path):
    # each rank's clock reads differently; the ranks share the slowest's, so the lr schedule (a function of the
    # elapsed time) and the stopping step agree, and the weights stay identical
    _torchrun(tmp_path, "one", "budget=3s", "lr_schedule=linear", "warmup_steps=0")
    steps = {(tmp_path / f"steps-rank{r}.txt").read_text() for r in (0, 1)}
    assert len(steps) == 1 and int(steps.pop()) > 5
    r0, r1 = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    assert all(torch.equal(r0[k], r1[k]) for k in r0)


def test_a_signal_on_one_rank_stops_every_rank_after_the_same_step(tmp_path):
    _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={_free_port()}",
          "--master_addr=127.0.0.1", str(WORKER.with_name("ddp_stop_worker.py")), str(tmp_path)])
    r0, r1 = (json.loads((tmp_path / f"stopped-rank{r}.json").read_text()) for r in (0, 1))
    assert r0["step"] == r1["step"] == 4 and r0["exit_code"] == r1["exit_code"] == 4
    assert r1["message"].startswith("SIGTERM at step 4") and "another process" in r0["message"]
    assert json.loads((tmp_path / "run" / "checkpoints" / "latest.json").read_text())["step"] == 4


def test_two_processes_accumulating_two_micro_batches_match_one_process_on_the_combined_batch(tmp_path):
    """grad_accum under DDP: gradients synchronised only on the last micro-batch (no_sync), same result."""
    _torchrun(tmp_path / "ddp", "two", "batch_size=8", "grad_accum=2")
    _run([sys.executable, str(WORKER), str(tmp_path / "single"), "two", "batch_size=16"])
    _assert_same_weights(tmp_path / "ddp", tmp_path / "single")


def test_two_nodes_of_one_process_match_one_process_on_the_combined_batch(tmp_path):
    """The README's multi-node recipe on one machine: two torchrun launches (--nnodes 2, c10d rendezvous at
    127.0.0.1) of one process each, as two nodes would run them."""
    port = _free_port()
    launch = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
              "--rdzv_backend=c10d", f"--rdzv_endpoint=127.0.0.1:{port}", "--rdzv_id=genlab-test",
              str(WORKER), str(tmp_path / "ddp"), "one"]
    nodes = [subprocess.Popen(launch, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for node in nodes:
        _, err = node.communicate(timeout=300)
        assert node.returncode == 0, err[-3000:]
    _run([sys.executable, str(WORKER), str(tmp_path / "single"), "one"])
    _assert_same_weights(tmp_path / "ddp", tmp_path / "single")


def test_a_killed_two_process_run_resumes_to_the_uninterrupted_loss_curve(tmp_path):
    """SIGKILL one rank in step 7 (torchrun takes the other down), resume from the step-6 checkpoint under torchrun:
    the loss curve and the weights are those of the run that was never killed (noise on: per-rank RNG streams)."""
    args = ("one", "steps=12", "checkpoint_every=3", "noise=0.1")
    _torchrun(tmp_path / "whole", *args)
    _torchrun(tmp_path / "killed", *args, "kill_at=7", ok=False)
    assert json.loads((tmp_path / "killed" / "run" / "checkpoints" / "latest.json").read_text())["step"] == 6
    _torchrun(tmp_path / "killed", *args, "resume=1")

    def curve(d):
        return [{k: v for k, v in row.items() if k != "time"}
                for row in map(json.loads, (d / "run" / "metrics.jsonl").read_text().splitlines())]

    assert curve(tmp_path / "killed") == curve(tmp_path / "whole") and len(curve(tmp_path / "whole")) == 12
    w, k = load_file(tmp_path / "whole" / "rank0.safetensors"), load_file(tmp_path / "killed" / "rank0.safetensors")
    assert all(torch.equal(w[n], k[n]) for n in w)
