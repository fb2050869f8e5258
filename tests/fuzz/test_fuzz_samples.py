"""Fuzz `genlab score`'s sample reader: mutated .npy/.npz sample files and forged shapes/dtypes either load as
finite images in [-1, 1] of the data's shape or are refused with a GenlabError."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzzing import check_images, check_outcome, fuzz_settings, mutants
from hypothesis import given
from hypothesis import strategies as st

from genlab.data import load_dataset
from genlab.evaluation.score import read_samples

DIGITS = load_dataset("digits")


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


BASES = {"samples.npz": _npz(samples=np.random.default_rng(0).integers(0, 256, (6, 8, 8, 1), dtype=np.uint8)),
         "floats.npz": _npz(samples=np.zeros((5, 1, 8, 8), np.float32))}


def _read(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / name
        path.write_bytes(data)
        x = read_samples(path, DIGITS)
        return x.clone()


def _valid(x):
    check_images(x)
    assert tuple(x.shape[1:]) == (1, 8, 8)


@pytest.mark.parametrize("name", sorted(BASES))
def test_mutated_sample_files(name):
    @fuzz_settings(60)
    @given(mutants(BASES[name]))
    def run(data):
        check_outcome(lambda: _read(name, data), _valid)

    run()


@fuzz_settings(60)
@given(st.sampled_from([np.uint8, np.int64, np.float32, np.float64, np.bool_, np.complex64]),
       st.lists(st.integers(0, 9), min_size=1, max_size=5), st.sampled_from([0.0, 1.0, -1.5, np.nan, np.inf]))
def test_forged_shapes_and_dtypes(dtype, shape, fill):
    arr = np.full(shape, fill if np.issubdtype(dtype, np.floating) else 1).astype(dtype)
    check_outcome(lambda: _read("x.npz", _npz(samples=arr)), _valid)
