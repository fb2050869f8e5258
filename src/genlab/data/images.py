"""The one place genlab decodes an image file (PNG or JPEG): image folders and `genlab edit` both use it.

The declared size is read from the header and checked against genlab's limit before any pixel is
decoded, so a tiny file that declares a huge image is refused without allocating it.
"""

from __future__ import annotations

import re
import struct
import warnings
from pathlib import Path

import numpy as np

from genlab.errors import DataError

MAX_IMAGE_SIDE = 4096  # genlab's limit: images larger than 4096 x 4096 pixels are refused before decoding
FORMATS = ("PNG", "JPEG")  # decoded by content, whatever the extension says
# What Pillow raises on malformed input; anything here means "this file is not a readable image".
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


def open_image(path: Path):
    """Decode one PNG/JPEG file into a PIL image (EXIF orientation applied, 16-bit gray scaled to 8-bit).

    A DataError names the file when it is not a PNG/JPEG, is corrupt or truncated, or declares a size
    beyond MAX_IMAGE_SIDE x MAX_IMAGE_SIDE pixels (checked from the header, before decoding).
    """
    from PIL import Image

    path = Path(path)
    try:
        img = _decode(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        # Pillow's own, larger bomb limit fired inside Image.open; name the size when the header is a PNG's
        size, pixels = _png_size(path), re.search(r"\((\d+) pixels\)", str(e))
        declared = f"{size[0]}x{size[1]}" if size else f"of {pixels.group(1) if pixels else 'over 89M'} pixels"
        raise DataError(f"{path}: declared image size {declared} is outside genlab's limit "
                        f"(1 to {MAX_IMAGE_SIDE} pixels per side)") from None
    except MemoryError:
        raise DataError(f"{path}: not enough memory to decode this image") from None
    except _DECODE_ERRORS as e:
        raise DataError(f"{path}: unreadable or corrupt image ({_one_line(e)})") from None
    if img.mode == "I" or img.mode.startswith("I;16"):  # 16-bit grayscale PNG (older Pillow: "I"): k16 / 257
        a = np.clip(np.asarray(img), 0, 65535).astype(np.uint32)
        # round(k / 257) in integers: k + 128 is never a multiple of 257 plus a half, so there are no ties
        img = Image.fromarray(((a + 128) // 257).astype(np.uint8))  # uint8 [H, W] -> mode L
    return img


def _decode(path: Path):
    """Open, check the header's size against the limit, then decode; the file is closed on any failure."""
    from PIL import Image, ImageOps

    img = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path, formats=FORMATS)
            w, h = img.size  # from the header: nothing decoded yet
            if not (0 < w <= MAX_IMAGE_SIDE and 0 < h <= MAX_IMAGE_SIDE):
                raise DataError(f"{path}: declared image size {w}x{h} is outside genlab's limit "
                                f"(1 to {MAX_IMAGE_SIDE} pixels per side)")
            img.load()
            return ImageOps.exif_transpose(img)  # camera JPEGs: apply the stored orientation
    except BaseException:
        if img is not None:
            img.close()
        raise


def _png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, which always comes first; None if this is not a PNG."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__
