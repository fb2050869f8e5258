"""Fuzz image decoding (data/images.py) through both of its users: image folders and `genlab edit`'s
read_images. PNG mutants get their CRCs recomputed so the decoder sees past the checksums."""

from __future__ import annotations

import io
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from fuzzing import check_dataset, check_images, check_outcome, fuzz_settings, mutants, png_fix_crcs, u32
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from genlab.cli import main
from genlab.cli.edit import read_images
from genlab.data import load_dataset
from genlab.data.images import MAX_IMAGE_SIDE
from genlab.errors import DataError


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


rng = np.random.default_rng(0)
_gray = Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8))
_exif = Image.Exif()
_exif[0x0112] = 6  # orientation: rotate 90
BASES = {
    "gray.png": _encode(_gray, "PNG"),
    "rgb.png": _encode(Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)), "PNG"),
    "gray16.png": _encode(Image.fromarray(rng.integers(0, 65536, (8, 8), dtype=np.uint16)), "PNG"),
    "palette.png": _encode(_gray.convert("P"), "PNG", transparency=3),
    "interlaced.png": _encode(_gray.convert("RGBA"), "PNG", interlace=1),
    "photo.jpg": _encode(Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)), "JPEG", exif=_exif),
    "gray.jpg": _encode(_gray, "JPEG", quality=50),
}


def png_with_header(width: int, height: int, depth: int = 8, colour: int = 0, interlace: int = 0) -> bytes:
    """The gray PNG with its IHDR fields replaced and the CRC fixed: a file that declares anything."""
    b = bytearray(BASES["gray.png"])
    b[16:29] = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    b[29:33] = struct.pack(">I", zlib.crc32(bytes(b[12:29])))
    return bytes(b)


image_files = st.sampled_from(sorted(BASES)).flatmap(
    lambda k: st.tuples(st.just(k), mutants(BASES[k]), st.booleans())).map(
    lambda c: (c[0], png_fix_crcs(c[1]) if c[2] and c[0].endswith(".png") else c[1]))
forged_pngs = st.tuples(st.just("forged.png"), st.builds(
    png_with_header, u32, u32, st.sampled_from([1, 2, 4, 8, 16, 3, 0, 255]), st.sampled_from([0, 2, 3, 4, 6, 1, 7]),
    st.sampled_from([0, 1, 2])))


def _folder(d: Path, name: str, data: bytes) -> None:
    for i in range(3):
        (d / f"ok{i}.png").write_bytes(BASES["gray.png"])
    (d / name).write_bytes(data)


@fuzz_settings(300)
@given(st.one_of(image_files, forged_pngs), st.sampled_from([None, 8, 5]), st.sampled_from([None, 1, 3]))
def test_folder(case, image_size, channels):
    name, data = case
    with tempfile.TemporaryDirectory() as d:
        _folder(Path(d), name, data)
        check_outcome(lambda: load_dataset(d, image_size=image_size, channels=channels), check_dataset)


@fuzz_settings(300)
@given(st.one_of(image_files, forged_pngs), st.sampled_from([1, 3]))
def test_edit_read_images(case, channels):
    name, data = case
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        check_outcome(lambda: read_images(p, channels), check_images)


def test_bomb_png_in_a_folder_is_one_line_exit_2(tmp_path, capsys):
    """The issue's case: three valid 8x8 PNGs and one whose IHDR declares 40000 x 40000 pixels."""
    data = tmp_path / "data"
    data.mkdir()
    _folder(data, "bomb.png", png_with_header(40000, 40000))
    rc = main(["train", "vae", "--data", str(data), "--steps", "1", "--out", str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("genlab: error: ") and err.count("\n") == 1
    assert "bomb.png" in err and "40000x40000" in err


@pytest.mark.parametrize("side", [MAX_IMAGE_SIDE + 1, 100_000])
def test_size_beyond_the_limit_is_refused_from_the_header(tmp_path, side):
    """The header is checked before decoding: no pixel data follows this IHDR, yet the message is about size."""
    p = tmp_path / "big.png"
    p.write_bytes(png_with_header(side, 8))
    with pytest.raises(DataError, match=rf"big.png: declared image size {side}x8 is outside genlab's limit"):
        read_images(p, 1)


def test_not_a_png_or_jpeg_is_refused(tmp_path):
    p = tmp_path / "really-a-gif.png"
    _gray.save(p, "GIF")
    with pytest.raises(DataError, match="really-a-gif.png: unreadable or corrupt image"):
        read_images(p, 1)
