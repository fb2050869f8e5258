import os

import pytest
import torch

from genlab import fileio
from genlab.errors import CheckpointError
from genlab.train import checkpoint as ck


def _save(d, step, value):
    m = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(m.weight, value)
    opt = torch.optim.AdamW(m.parameters(), lr=0.1)
    m(torch.ones(1, 3)).sum().backward()
    opt.step()
    ck.save_checkpoint(d, step, m, m, {"main": opt}, {"note": value}, keep=2)
    return m, opt


def test_round_trip_restores_model_and_optimizer(tmp_path):
    m, opt = _save(tmp_path, 1, 0.5)
    record, tensors = ck.read_checkpoint(tmp_path)
    m2 = torch.nn.Linear(3, 2)
    m2.load_state_dict(ck.module_state("model", tensors))
    opt2 = torch.optim.AdamW(m2.parameters(), lr=0.1)
    ck.restore_optimizer("main", opt2, record, tensors)
    assert torch.equal(m2.weight, m.weight) and record["note"] == 0.5
    s1, s2 = opt.state_dict()["state"][0], opt2.state_dict()["state"][0]
    assert torch.equal(s1["exp_avg_sq"], s2["exp_avg_sq"]) and float(s1["step"]) == float(s2["step"])
    assert not list(tmp_path.glob("*.tmp"))


def test_interrupted_write_leaves_the_old_checkpoint_readable(tmp_path, monkeypatch):
    _save(tmp_path, 1, 0.5)
    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src, dst):  # the kill lands after the tensor file of the new checkpoint is in place
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        _save(tmp_path, 2, 0.9)
    monkeypatch.setattr(fileio.os, "replace", real_replace)
    record, tensors = ck.read_checkpoint(tmp_path)
    assert record["step"] == 1 and torch.allclose(tensors["model.weight"], torch.full((2, 3), 0.5), atol=0.2)


def test_truncated_tensor_file_is_detected(tmp_path):
    _save(tmp_path, 1, 0.5)
    f = tmp_path / "ckpt-00000001.safetensors"
    f.write_bytes(f.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="corrupt"):
        ck.read_checkpoint(tmp_path)


def test_old_checkpoints_are_pruned(tmp_path):
    for s in (1, 2, 3):
        _save(tmp_path, s, 0.1 * s)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*.json")) == ["ckpt-00000002.json", "ckpt-00000003.json"]
    with pytest.raises(CheckpointError, match="latest.json"):
        ck.read_checkpoint(tmp_path / "nowhere")
