"""Run-folder regressions: each of these once ended in a traceback (or loaded bad weights); the fuzz tests in
test_fuzz_runs.py found them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from runfiles import RUNS, ckpt, edit_record, resign, tensor_file
from safetensors.torch import load, save

from genlab.cli import main
from genlab.errors import CheckpointError
from genlab.runs import load_run
from genlab.train.logger import read_metrics

pytestmark = pytest.mark.usefixtures("tiny_runs")


@pytest.mark.parametrize("change", [
    lambda r: r.pop("config"),  # KeyError: 'config'
    lambda r: r.update(config=None),  # TypeError: 'NoneType' object is not subscriptable
    lambda r: r["config"].pop("data"),  # KeyError: 'data'
    lambda r: r.update(data=None),  # TypeError in DataInfo.from_json
    lambda r: r["data"].update(shape="abc"),  # a malformed data record
    lambda r: r["data"].pop("levels"),  # KeyError: 'levels' (CI's fuzz run found it)
    lambda r: r.pop("tensors_file"),  # KeyError: 'tensors_file'
    lambda r: r.pop("tensors_sha256"),  # KeyError: 'tensors_sha256'
], ids=["no-config", "null-config", "no-data-config", "null-data", "bad-shape", "no-levels", "no-tensors-file",
        "no-sha256"])
def test_record_fields_missing_or_malformed(tmp_path, change):
    run = shutil.copytree(RUNS["digits"], tmp_path / "run")
    path = edit_record(run, change)
    with pytest.raises(CheckpointError, match=path.name):
        load_run(run)


@pytest.mark.parametrize("text", [b"", b"{", b"\xfb{}", b'{"family": "vae"}'])
def test_config_json_unreadable_on_resume(tmp_path, capsys, text):
    """`genlab train --resume` read config.json with json.loads: JSONDecodeError, UnicodeDecodeError, KeyError."""
    run = shutil.copytree(RUNS["ring8"], tmp_path / "run")
    (run / "config.json").write_bytes(text)
    assert main(["train", "vae", "--data", "ring8", "--resume", str(run), "--steps", "3", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("genlab: error: ") and "config.json" in err and err.count("\n") == 1


def test_resume_with_a_record_missing_training_state(tmp_path, capsys):
    """Trainer._resume indexed record['images_seen']: KeyError."""
    run = shutil.copytree(RUNS["ring8"], tmp_path / "run")
    edit_record(run, lambda r: r.pop("images_seen"))
    assert main(["train", "vae", "--data", "ring8", "--resume", str(run), "--steps", "3", "--quiet"]) == 2
    assert "malformed training state" in capsys.readouterr().err


def _resigned_with(run: Path, name: str, value: torch.Tensor) -> None:
    tensors = load(ckpt(run).with_suffix(".safetensors").read_bytes())
    tensors[name] = value
    resign(run, save(tensors))


def test_resigned_checkpoint_with_a_wrong_shape(tmp_path):
    """A tensor file re-signed with a tensor of another shape: load_state_dict raised RuntimeError."""
    run = shutil.copytree(RUNS["digits"], tmp_path / "run")
    _resigned_with(run, "ema.decoder.net.0.weight", torch.zeros(3, 3))
    with pytest.raises(CheckpointError, match="do not fit the model|needs"):
        load_run(run)


def test_resigned_checkpoint_with_nan_weights(tmp_path):
    """NaN weights behind a matching sha256 were loaded silently."""
    run = shutil.copytree(RUNS["ring8"], tmp_path / "run")
    name, value = next((k, v) for k, v in load(tensor_file("ring8")).items() if k.startswith("ema."))
    _resigned_with(run, name, torch.full_like(value, float("nan")))
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_run(run)


@pytest.mark.parametrize("text", [b"{", b"\xfb", b'{"step": 1}\n[1, 2]\n'])
def test_metrics_jsonl_not_json_lines(tmp_path, text):
    """read_metrics raised JSONDecodeError / UnicodeDecodeError, or returned rows that were not objects."""
    (tmp_path / "metrics.jsonl").write_bytes(text)
    with pytest.raises(CheckpointError, match="metrics.jsonl: "):
        read_metrics(tmp_path)


def test_every_family_builds_on_the_meta_device():
    """load_run checks a checkpoint against the model built on the meta device: every family must build
    there with the same state dict as on the CPU (the diffusion tables once failed: 'Cannot copy out of meta')."""
    from genlab.config import build_config
    from genlab.data.dataset import DataInfo
    from genlab.models.registry import FAMILIES, get_family
    from genlab.train.trainer import build_model

    info = DataInfo("img", "image", (1, 8, 8), 256)
    for family in FAMILIES:
        cfg = build_config(family, *get_family(family))
        real = build_model(cfg, info).state_dict()
        with torch.device("meta"):
            meta = build_model(cfg, info).state_dict()
        assert {k: (v.shape, v.dtype) for k, v in meta.items()} == {k: (v.shape, v.dtype) for k, v in real.items()}
