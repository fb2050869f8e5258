"""Fuzz the CIFAR-10 binary-batch loader: byte mutants and record counts of every length."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from fuzzing import check_dataset, check_outcome, fuzz_settings, mutants
from hypothesis import given
from hypothesis import strategies as st

from genlab.data import load_dataset
from genlab.data.cifar import FOLDER, RECORD, TEST_FILES, TRAIN_FILES

FILES = TRAIN_FILES + TEST_FILES


def _batch(n: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    rec = rng.integers(0, 256, (n, RECORD), dtype=np.uint8)
    rec[:, 0] = rng.integers(0, 10, n)
    return rec.tobytes()


BATCHES = {f: _batch(2, i) for i, f in enumerate(FILES)}


def _load(replace: str, data: bytes):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / FOLDER
        root.mkdir()
        for f, raw in BATCHES.items():
            (root / f).write_bytes(data if f == replace else raw)
        return check_outcome(lambda: load_dataset("cifar10", d), check_dataset)


@fuzz_settings(200)
@given(st.sampled_from(FILES).flatmap(lambda f: st.tuples(st.just(f), mutants(BATCHES[f]))))
def test_byte_mutants(case):
    _load(*case)


@fuzz_settings(100)
@given(st.sampled_from(FILES), st.integers(0, 3), st.sampled_from([0, 0, 1, -1, RECORD - 1]), st.integers(0, 255))
def test_lengths_and_labels(name, records, extra, label):
    """A batch of any length whose records all carry `label`: loads exactly when whole records of 0..9."""
    size = max(records * RECORD + extra, 0)
    data = bytes([label]) * size
    outcome = _load(name, data)
    assert outcome == ("loaded" if size and size % RECORD == 0 and label <= 9 else "refused")
