"""Shared pieces of the loader fuzz tests: hypothesis settings, byte mutations, and the property every
loader must keep (a valid result or a GenlabError, within a memory bound)."""

from __future__ import annotations

import os
import resource
import struct
import zlib

import torch
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from genlab.errors import GenlabError

SLOW = os.environ.get("GENLAB_SLOW") == "1"
MEMORY_BOUND = 200 * 2**20  # no single case may raise the process's peak memory by more than this


def fuzz_settings(examples: int, deadline_ms: int = 2000) -> settings:
    """Fixed seed, no example database, 2 s per example unless told (deadline_ms); `examples` x20 with
    GENLAB_SLOW=1, or x GENLAB_FUZZ_SCALE when that is set (long local runs)."""
    scale = float(os.environ.get("GENLAB_FUZZ_SCALE", 0)) or (20 if SLOW else 1)
    return settings(derandomize=True, database=None, deadline=deadline_ms, max_examples=max(1, round(examples * scale)),
                    print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                             HealthCheck.function_scoped_fixture,
                                                             HealthCheck.filter_too_much])


INTERESTING_U32 = [0, 1, 2, 3, 7, 8, 28, 255, 256, 3072, 3073, 4096, 4097, 40000, 65535, 2**24, 2**31 - 1, 2**31,
                   2**32 - 1]
u32 = st.one_of(st.sampled_from(INTERESTING_U32), st.integers(0, 2**32 - 1))

_OPS = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 2**20)),
    st.tuples(st.just("flip"), st.integers(0, 2**20), st.integers(1, 255)),
    st.tuples(st.just("u32"), st.integers(0, 2**20), u32, st.sampled_from([">I", "<I"])),
    st.tuples(st.just("insert"), st.integers(0, 2**20), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.integers(0, 2**20), st.integers(1, 64)),
    st.tuples(st.just("repeat"), st.integers(0, 2**20), st.integers(1, 64), st.integers(2, 8)),
)


def apply_ops(data: bytes, ops: list[tuple]) -> bytes:
    """Apply byte-level mutations; positions wrap around the current length."""
    b = bytearray(data)
    for op in ops:
        pos = op[1] % (len(b) + 1)
        if op[0] == "truncate":
            del b[pos:]
        elif op[0] == "flip" and pos < len(b):
            b[pos] ^= op[2]
        elif op[0] == "u32":
            b[pos:pos + 4] = struct.pack(op[3], op[2])
        elif op[0] == "insert":
            b[pos:pos] = op[2]
        elif op[0] == "delete":
            del b[pos:pos + op[2]]
        elif op[0] == "repeat":
            b[pos:pos] = bytes(b[pos:pos + op[2]]) * op[3]
    return bytes(b)


def mutants(data: bytes, max_ops: int = 4) -> st.SearchStrategy[bytes]:
    """Truncations, flipped bytes, overwritten 32-bit fields (sizes), insertions, deletions, repeats."""
    return st.lists(_OPS, min_size=1, max_size=max_ops).map(lambda ops: apply_ops(data, ops))


def png_fix_crcs(data: bytes) -> bytes:
    """Recompute every chunk CRC of a (possibly mutated) PNG, so the decoder looks past the checksums."""
    b = bytearray(data)
    i = 8
    while i + 12 <= len(b):
        n = struct.unpack(">I", b[i:i + 4])[0]
        end = i + 8 + n
        if end + 4 > len(b):
            break
        b[end:end + 4] = struct.pack(">I", zlib.crc32(bytes(b[i + 4:end])))
        i = end + 4
    return bytes(b)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64), st.sampled_from([0, -1, 10**30]),
                         st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False), st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda c: st.one_of(st.lists(c, max_size=4),
                                                             st.dictionaries(st.text(max_size=8), c, max_size=4)),
                           max_leaves=8)


def peak_rss() -> int:
    """The process's peak resident memory so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def check_outcome(load, valid) -> str:
    """Run load(); it must return something `valid` accepts or raise a GenlabError, within MEMORY_BOUND."""
    before = peak_rss()
    try:
        result = load()
    except GenlabError as e:
        assert "\n" not in str(e), f"multi-line error: {e!r}"
        outcome = "refused"
    else:
        valid(result)
        outcome = "loaded"
    event(outcome)
    grew = peak_rss() - before
    assert grew < MEMORY_BOUND, f"peak memory grew by {grew / 2**20:.0f} MiB in one case"
    return outcome


def check_images(x: torch.Tensor, ndim: int = 4) -> None:
    """Finite float32 images (or points) in [-1, 1] with at least one example and no empty dimension."""
    assert x.dtype == torch.float32 and x.dim() == ndim and x.numel() > 0, (x.dtype, x.shape)
    assert torch.isfinite(x).all() and x.min() >= -1 and x.max() <= 1


def check_dataset(ds) -> None:
    """A loaded Dataset: train and test of the same example shape, values in [-1, 1], sane labels."""
    check_images(ds.train, ds.train.dim())
    check_images(ds.test, ds.test.dim())
    assert ds.train.shape[1:] == ds.test.shape[1:]
    assert (ds.kind == "image" and ds.train.dim() == 4) or (ds.kind == "points" and ds.train.shape[1:] == (2,))
    for y, x in ((ds.train_labels, ds.train), (ds.test_labels, ds.test)):
        if y is not None:
            assert y.dtype == torch.int64 and y.shape == (len(x),)
            assert y.min() >= 0 and y.max() < ds.num_classes
