"""Tiny real run folders for the run-folder fuzz tests, and helpers that edit them as a forger would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch

from genlab.cli import main

RUNS: dict[str, Path] = {}  # data name -> run folder, filled by the tiny_runs fixture
TINY = {"ring8": ["--set", "model.hidden=16", "--set", "model.depth=1"],
        "digits": ["--set", "model.channels=4", "--set", "model.latent_dim=4"]}


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory):
    """Two tiny VAE runs (an MLP on ring8, a conv net on digits), trained for 2 steps by the CLI."""
    out = tmp_path_factory.mktemp("runs")
    for data, extra in TINY.items():
        assert main(["train", "vae", "--data", data, "--steps", "2", "--out", str(out / data), "--quiet", *extra]) == 0
        RUNS[data] = next((out / data).iterdir())
    torch.set_flush_denormal(False)  # main() flushes subnormals process-wide; hypothesis needs them
    yield RUNS
    RUNS.clear()


def ckpt(run: Path) -> Path:
    """The latest checkpoint's path without suffix: ckpt.with_suffix('.json') is its record."""
    return run / "checkpoints" / json.loads((run / "checkpoints" / "latest.json").read_text())["checkpoint"]


def tensor_file(data: str) -> bytes:
    return ckpt(RUNS[data]).with_suffix(".safetensors").read_bytes()


def resign(run: Path, blob: bytes) -> None:
    """Write a new tensor file and put its sha256 in the record, so the loader gets past the checksum."""
    c = ckpt(run)
    c.with_suffix(".safetensors").write_bytes(blob)
    record = json.loads(c.with_suffix(".json").read_text())
    record["tensors_sha256"] = hashlib.sha256(blob).hexdigest()
    c.with_suffix(".json").write_text(json.dumps(record))


def edit_record(run: Path, change) -> Path:
    """Apply change(record) to the latest checkpoint's JSON record; returns the record's path."""
    path = ckpt(run).with_suffix(".json")
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))
    return path
