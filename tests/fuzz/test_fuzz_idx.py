"""Fuzz the IDX (MNIST) loader, plain and gzip: byte mutants, forged header sizes, gzip bombs and trailers."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzzing import check_dataset, check_outcome, fuzz_settings, mutants, u32
from hypothesis import given
from hypothesis import strategies as st

from genlab.data import load_dataset
from genlab.errors import DataError

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _idx(a: np.ndarray) -> bytes:
    return struct.pack(f">I{a.ndim}I", 2051 if a.ndim == 3 else 2049, *a.shape) + a.astype(np.uint8).tobytes()


rng = np.random.default_rng(0)
PLAIN = {STEMS[0]: _idx(rng.integers(0, 256, (3, 4, 5))), STEMS[1]: _idx(rng.integers(0, 10, 3)),
         STEMS[2]: _idx(rng.integers(0, 256, (2, 4, 5))), STEMS[3]: _idx(rng.integers(0, 10, 2))}


def _load(replace: str, data: bytes, gz: bool):
    """Write the tiny IDX set (plain or gzip) with file `replace` swapped for `data` (already in final form)."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "mnist"
        root.mkdir()
        for stem, raw in PLAIN.items():
            name = f"{stem}.gz" if gz else stem
            (root / name).write_bytes(data if stem == replace else (gzip.compress(raw) if gz else raw))
        return check_outcome(lambda: load_dataset("mnist", d), check_dataset)


stems = st.sampled_from(STEMS)


@fuzz_settings(200)
@given(stems.flatmap(lambda s: st.tuples(st.just(s), mutants(PLAIN[s]))))
def test_plain_byte_mutants(case):
    stem, data = case
    _load(stem, data, gz=False)


@fuzz_settings(150)
@given(stems.flatmap(lambda s: st.tuples(st.just(s), mutants(PLAIN[s]), mutants(gzip.compress(PLAIN[s])))),
       st.booleans())
def test_gzip_mutants(case, mutate_stream):
    """Either the content is mutated and then compressed, or the gzip stream itself is mutated."""
    stem, content, stream = case
    _load(stem, stream if mutate_stream else gzip.compress(content), gz=True)


@fuzz_settings(200)
@given(stems, st.lists(u32, min_size=1, max_size=3), st.sampled_from([2049, 2051, 0, 2**32 - 1]),
       st.integers(0, 200), st.booleans(), st.booleans())
def test_forged_headers(stem, dims, magic, n_data, gz, bomb):
    """Any magic and declared shape over a data block of any length; `bomb`: a highly compressible block."""
    head = struct.pack(f">I{len(dims)}I", magic, *dims)
    data = head + (bytes(10**6) if bomb else bytes(range(256))[:n_data])
    _load(stem, gzip.compress(data) if gz else data, gz)


def test_gzip_declaring_more_than_it_can_hold_is_refused_from_the_header(tmp_path):
    root = tmp_path / "mnist"
    root.mkdir()
    for stem, raw in PLAIN.items():
        (root / f"{stem}.gz").write_bytes(gzip.compress(raw))
    huge = struct.pack(">IIII", 2051, 60000, 4096, 4096) + bytes(1000)  # declares 1 TB in a few bytes
    (root / f"{STEMS[0]}.gz").write_bytes(gzip.compress(huge))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: header declares shape \(60000, 4096, 4096\)"):
        load_dataset("mnist", str(tmp_path))
