"""Fuzz the .npy/.npz loader: byte mutants, forged headers (shapes, dtypes), NaN/inf data, nested archives."""

from __future__ import annotations

import io
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fuzzing import check_dataset, check_images, check_outcome, fuzz_settings, mutants
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genlab.cli.edit import read_images
from genlab.data import load_dataset
from genlab.errors import DataError


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _npz(arrays: dict[str, np.ndarray] | dict[str, bytes], compressed: bool = False) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for k, v in arrays.items():
            zf.writestr(f"{k}.npy", v if isinstance(v, bytes) else _npy(v))
    return buf.getvalue()


rng = np.random.default_rng(0)
IMAGES = rng.integers(0, 256, (4, 1, 4, 4), dtype=np.uint8)
POINTS = rng.uniform(-1, 1, (6, 2)).astype(np.float32)
BASES = {
    "images.npy": _npy(IMAGES),
    "points.npy": _npy(POINTS),
    "split.npz": _npz({"x_train": IMAGES, "x_test": IMAGES[:1], "y_train": np.arange(4), "y_test": np.array([1])}),
    "labelled.npz": _npz({"x": POINTS, "y": np.arange(6) % 3}, compressed=True),
}


def _load(name: str, data: bytes):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        return check_outcome(lambda: load_dataset(str(p)), check_dataset)


@fuzz_settings(300)
@given(st.sampled_from(sorted(BASES)).flatmap(lambda k: st.tuples(st.just(k), mutants(BASES[k]))))
def test_byte_mutants(case):
    name, data = case
    _load(name, data)


DESCRS = ["|u1", "<f4", ">f4", "<f2", "<f8", "<i8", ">u2", "|b1", "|O", "<c8", "<U3", "|V8", "<M8[s]", "|S2",
          [("a", "<f4")], ("<f4", (2,)), "nonsense", 5, None]
dims = st.sampled_from([-1, 0, 1, 2, 3, 4, 8, 4097, 2**31, 2**62, 2**64])
shapes = st.one_of(st.lists(dims, max_size=6).map(tuple), st.sampled_from([[2, 2], "x", (2.0, 2), None]))
special = st.sampled_from([np.nan, np.inf, -np.inf, 1.5, -1.0, 1.0, 0.0])


@st.composite
def forged_npy(draw) -> bytes:
    """A .npy whose header says anything: shape, dtype, order and version, over a data block of any length."""
    header = repr({"descr": draw(st.sampled_from(DESCRS)), "fortran_order": draw(st.sampled_from([False, True, 1])),
                   "shape": draw(shapes)})
    header += " " * (-(len(header) + 11) % 64) + "\n"
    major = draw(st.sampled_from([1, 2, 3, 7]))
    size = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    values = draw(st.lists(special, max_size=8))
    data = np.array(values, np.float32).tobytes() + draw(st.binary(max_size=64))
    return b"\x93NUMPY" + bytes([major, 0]) + size + header.encode("latin1") + data


@fuzz_settings(300)
@given(forged_npy(), st.sampled_from(["npy", "npz-stored", "npz-deflated"]),
       st.sampled_from(["x", "x_train", "y", "odd name"]))
def test_forged_headers(npy, container, key):
    if container == "npy":
        _load("forged.npy", npy)
    else:
        _load("forged.npz", _npz({key: npy, **({"x_test": IMAGES[:1]} if key == "x_train" else {})},
                                  compressed=container == "npz-deflated"))


@fuzz_settings(100)
@given(st.lists(special, min_size=1, max_size=12), st.sampled_from(["<f4", "<f8", "<f2"]))
def test_float_values(values, dtype):
    a = np.resize(np.array(values, dtype), 12).reshape(6, 2)
    outcome = _load("values.npy", _npy(a))
    assert outcome == ("loaded" if np.isfinite(a).all() and np.abs(a).max() <= 1 else "refused")


@fuzz_settings(100)
@given(st.sampled_from(sorted(BASES)), st.sampled_from(["npz-in-npz", "npy-named-npz", "npz-named-npy", "text"]))
def test_nested_and_misnamed(base, how):
    data = BASES[base]
    if how == "npz-in-npz":
        _load("nest.npz", _npz({"x": data}))
    elif how == "npy-named-npz":
        _load("x.npz", _npy(np.frombuffer(data, np.uint8)))
    elif how == "npz-named-npy":
        _load("x.npy", data)
    else:
        _load("x.npz", data.decode("latin1").encode("utf-8"))


KEYS = ["x", "y", "x_train", "x_test", "y_train", "y_test", "other"]
small_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
arrays = st.sampled_from([np.uint8, np.float32, np.float64, np.int64, np.int8, np.bool_]).flatmap(
    lambda dt: hnp.arrays(dt, small_shapes, elements=special if np.dtype(dt).kind == "f" else None))


@fuzz_settings(300)
@given(st.dictionaries(st.sampled_from(KEYS), arrays, min_size=1, max_size=4), st.booleans())
def test_key_and_shape_combinations(members, compressed):
    _load("combo.npz", _npz(members, compressed))


NHWC = rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8)
EDIT_BASES = {"edit.npy": _npy(NHWC), "edit.npz": _npz({"x": NHWC[..., 0]}), "editz.npz": _npz({"x": NHWC}, True)}


@fuzz_settings(200)
@given(st.sampled_from(sorted(EDIT_BASES)).flatmap(lambda k: st.tuples(st.just(k), mutants(EDIT_BASES[k]))),
       st.sampled_from([1, 3]))
def test_edit_read_images_arrays(case, channels):
    """`genlab edit --input x.npz`: read_images reads arrays through the same checked reader."""
    name, data = case
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        check_outcome(lambda: read_images(p, channels), check_images)


# Regressions: each of these once ended in a traceback (or loaded bad data) and was found by the tests above.

def test_header_that_is_not_a_dict_literal(tmp_path):
    """numpy re-tokenizes such a header and raised tokenize.TokenError, which np.load let through."""
    p = tmp_path / "h.npy"
    p.write_bytes(_npy(IMAGES).replace(b"{", b"z", 1))
    with pytest.raises(DataError, match="h.npy: not a valid .npy array"):
        load_dataset(str(p))


def test_empty_array_with_an_absurd_axis(tmp_path):
    """shape (0, 2**64) holds no data, so the size check passed and reshape raised ValueError."""
    p = tmp_path / "e.npy"
    p.write_bytes(_npy(np.zeros((0, 2), np.uint8)).replace(b"(0, 2)", b"(0, 18446744073709551616)"))
    with pytest.raises(DataError, match=r"e.npy: shape \(0, 18446744073709551616\) is not an array genlab reads"):
        load_dataset(str(p))


def test_images_of_zero_pixels(tmp_path):
    """[2, 0, 0] uint8 loaded as a dataset of 0x0 images."""
    np.savez(tmp_path / "z.npz", x=np.zeros((2, 0, 0), np.uint8))
    with pytest.raises(DataError, match="z.npz: images of 0x0 pixels"):
        load_dataset(str(tmp_path / "z.npz"))


def test_labels_that_do_not_match_the_examples(tmp_path):
    """A 0-d (or too short) y was indexed by the split before it was checked: IndexError."""
    np.savez(tmp_path / "y.npz", x=np.zeros((2, 2), np.uint8), y=np.array(0, np.uint8))
    with pytest.raises(DataError, match=r"y.npz: labels must be non-negative integers of shape \(2,\)"):
        load_dataset(str(tmp_path / "y.npz"))


@pytest.mark.parametrize("data", [b"PK\x03\x04 not a zip", _npz({})])
def test_edit_input_array_that_is_corrupt_or_empty(tmp_path, data):
    """read_images used np.load directly: BadZipFile for a corrupt file, IndexError for an empty archive."""
    p = tmp_path / "in.npz"
    p.write_bytes(data)
    with pytest.raises(DataError, match="in.npz: "):
        read_images(p, 1)


@pytest.mark.parametrize("offset, value", [(6, 156), (8, 1 << 5), (8, 1 << 6)],
                         ids=["zip-version-15.6", "patched-data-flag", "strong-encryption-flag"])
def test_zip_features_python_cannot_read(tmp_path, offset, value):
    """zipfile raises NotImplementedError for these central-directory fields; it escaped as a traceback."""
    data = bytearray(BASES["split.npz"])
    at = data.find(b"PK\x01\x02") + offset
    data[at:at + 2] = struct.pack("<H", value)
    (tmp_path / "z.npz").write_bytes(bytes(data))
    with pytest.raises(DataError, match="z.npz: "):
        load_dataset(str(tmp_path / "z.npz"))


def test_declared_size_beyond_the_file_is_refused_from_the_header(tmp_path):
    p = tmp_path / "huge.npy"
    head = _npy(np.zeros((2, 2), np.float32))
    p.write_bytes(head.replace(b"(2, 2)", b"(2000000, 2000)"))
    with pytest.raises(DataError, match=r"huge.npy: header declares shape \(2000000, 2000\)"):
        load_dataset(str(p))


def test_nan_is_refused(tmp_path):
    np.save(tmp_path / "nan.npy", np.array([[0.0, np.nan], [0.5, 0.5]], np.float32))
    with pytest.raises(DataError, match="nan.npy: .*NaN"):
        load_dataset(str(tmp_path / "nan.npy"))
