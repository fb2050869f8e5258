"""Fuzz run folders made by real training: config.json, checkpoints/latest.json, the ckpt-*.json record,
the safetensors file (with its sha256 re-signed so the parser is reached) and metrics.jsonl."""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from pathlib import Path

import pytest
import torch
from fuzzing import check_outcome, fuzz_settings, json_values, mutants
from hypothesis import given
from hypothesis import strategies as st
from runfiles import RUNS, TINY, ckpt, resign, tensor_file

from genlab.cli import main
from genlab.errors import CheckpointError
from genlab.runs import load_run, read_run_config
from genlab.train.logger import read_metrics

pytestmark = pytest.mark.usefixtures("tiny_runs")


def _valid_run(result) -> None:
    model, cfg, info, record = result
    assert all(torch.isfinite(p).all() for p in model.state_dict().values() if p.is_floating_point())
    assert cfg.family == "vae" and isinstance(record, dict)


def _with_run(data: str, edit, load):
    """Copy run `data`, let edit(run_dir) change it, then check load(run_dir)."""
    with tempfile.TemporaryDirectory() as d:
        run = Path(d) / "run"
        shutil.copytree(RUNS[data], run)
        edit(run)
        return check_outcome(lambda: load(run), _valid_run if load is _load_run else (lambda r: None))


def _load_run(run: Path):
    return load_run(run)


runs_ = st.sampled_from(sorted(TINY))


@st.composite
def json_edit(draw, doc):
    """doc with one value, at a path up to three deep, replaced by any JSON value or deleted."""
    doc = json.loads(json.dumps(doc))
    node = doc
    for _ in range(3):
        if not isinstance(node, dict | list) or not node:
            break
        keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
        k = draw(st.sampled_from(keys))
        if draw(st.integers(0, 2)) == 0 or not isinstance(node[k], dict | list):
            if isinstance(node, dict) and draw(st.integers(0, 4)) == 0:
                del node[k]
            else:
                node[k] = draw(json_values)
            return doc
        node = node[k]
    return draw(json_values)


def _write_json(path: Path, doc) -> None:
    path.write_text(json.dumps(doc))


@fuzz_settings(200)
@given(runs_, st.sampled_from(["record", "latest", "config"]), st.data())
def test_json_files_edited(data, which, draw):
    run = RUNS[data]
    path = {"record": ckpt(run).with_suffix(".json"), "latest": run / "checkpoints" / "latest.json",
            "config": run / "config.json"}[which]
    doc = draw.draw(json_edit(json.loads(path.read_text())))
    target = path.relative_to(run)
    _with_run(data, lambda r: _write_json(r / target, doc), read_run_config if which == "config" else _load_run)


@fuzz_settings(150)
@given(runs_, st.sampled_from(["record", "latest", "config"]), st.data())
def test_json_files_byte_mutants(data, which, draw):
    run = RUNS[data]
    path = {"record": ckpt(run).with_suffix(".json"), "latest": run / "checkpoints" / "latest.json",
            "config": run / "config.json"}[which]
    blob = draw.draw(mutants(path.read_bytes()))
    target = path.relative_to(run)
    _with_run(data, lambda r: (r / target).write_bytes(blob), read_run_config if which == "config" else _load_run)


@fuzz_settings(150)
@given(runs_.flatmap(lambda d: st.tuples(st.just(d), mutants(tensor_file(d)))), st.booleans())
def test_safetensors_byte_mutants(case, signed):
    """`signed`: the record's sha256 is updated to match, so the safetensors parser itself is fuzzed."""
    data, blob = case

    def edit(r: Path):
        if signed:
            resign(r, blob)
        else:
            ckpt(r).with_suffix(".safetensors").write_bytes(blob)

    _with_run(data, edit, _load_run)


@st.composite
def safetensors_header_edit(draw, blob: bytes):
    """The tensor file with one tensor's dtype, shape or offsets changed in its JSON header, or NaN/inf
    written over a float32 tensor's first value."""
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    name = draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
    body = bytearray(blob[8 + n:])
    field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "value"]))
    if field == "value" and header[name]["dtype"] == "F32":
        start = header[name]["data_offsets"][0]
        body[start:start + 4] = struct.pack("<f", draw(st.sampled_from([float("nan"), float("inf"), -float("inf")])))
    elif field == "dtype":
        header[name]["dtype"] = draw(st.sampled_from(["F16", "BF16", "F64", "I64", "U8", "BOOL", "C64", "XX", 3]))
    else:
        header[name][field] = draw(st.one_of(st.lists(st.sampled_from([0, 1, 2, 3, 2**40, -1]), max_size=4),
                                             json_values))
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + bytes(body)


@fuzz_settings(150)
@given(runs_.flatmap(lambda d: st.tuples(st.just(d), safetensors_header_edit(tensor_file(d)))))
def test_safetensors_header_edits(case):
    data, blob = case
    _with_run(data, lambda r: resign(r, blob), _load_run)


@fuzz_settings(150)
@given(runs_.flatmap(lambda d: st.tuples(st.just(d), mutants((RUNS[d] / "metrics.jsonl").read_bytes()))))
def test_metrics_jsonl(case):
    data, blob = case
    _with_run(data, lambda r: (r / "metrics.jsonl").write_bytes(blob), read_metrics)


@fuzz_settings(20)
@given(st.sampled_from(["record", "config", "metrics"]), st.data())
def test_resume_from_an_edited_run(which, draw):
    """`genlab train --resume RUN` on an edited run: it trains on (exit 0) or stops with one line (exit 2)."""
    run = RUNS["ring8"]
    path = {"record": ckpt(run).with_suffix(".json"), "config": run / "config.json",
            "metrics": run / "metrics.jsonl"}[which]
    text = path.read_bytes()
    blob = draw.draw(mutants(text)) if which == "metrics" else json.dumps(draw.draw(json_edit(json.loads(text))))
    target = path.relative_to(run)

    def resume(r: Path):
        rc = main(["train", "vae", "--data", "ring8", "--resume", str(r), "--steps", "3", "--quiet"])
        if rc == 2:
            raise CheckpointError("refused")  # main printed the one-line error
        assert rc == 0
        return rc

    _with_run("ring8", lambda r: (r / target).write_bytes(blob if isinstance(blob, bytes) else blob.encode()), resume)
