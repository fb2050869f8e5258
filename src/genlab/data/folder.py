"""Any folder of PNG/JPEG images, flat or in subfolders (one subfolder per class gives labels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlab.data._common import fixed_split, from_uint8, test_count
from genlab.data.dataset import Dataset
from genlab.data.images import open_image
from genlab.errors import DataError

EXTENSIONS = (".png", ".jpg", ".jpeg")
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")


def list_images(root: Path) -> list[Path]:
    """Image files under root (recursive), sorted by relative path."""
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIONS]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _center_square(img):
    w, h = img.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return img.crop((left, top, left + s, top + s))


def _labels(root: Path, files: list[Path]) -> tuple[np.ndarray | None, list[str] | None]:
    """Class index from the first subfolder, when every image sits in a subfolder and there are >= 2."""
    parts = [p.relative_to(root).parts for p in files]
    if any(len(q) < 2 for q in parts):
        return None, None
    classes = sorted({q[0] for q in parts})
    if len(classes) < 2:
        return None, None
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[q[0]] for q in parts], dtype=np.int64), classes


def load_folder(path: str | Path, image_size: int | None = None, channels: int | None = None) -> Dataset:
    """Images as [N, C, H, W] in [-1, 1], 256 levels; fixed ~10% test split over sorted names.

    image_size: centre-crop to square and resize (PIL bicubic); default keeps the size, which must
    be the same for all images. channels: 1 (grayscale) or 3 (RGB); default 1 only if all are gray.
    """
    from PIL import Image

    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: image folder not found")
    if channels not in (None, 1, 3):
        raise DataError(f"{root}: channels must be 1 or 3, got {channels}")
    if image_size is not None and image_size < 1:
        raise DataError(f"{root}: image_size must be positive, got {image_size}")
    files = list_images(root)
    if not files:
        raise DataError(f"{root}: no PNG or JPEG images found (looked for {', '.join(EXTENSIONS)}, "
                        f"recursively)")
    if len(files) < 2:
        raise DataError(f"{root}: only one image; need at least 2 for a train/test split")
    arrays, all_gray, first_size = [], True, None
    mode = "L" if channels == 1 else "RGB"  # with channels unset, gray images are kept as RGB until the end
    for p in files:  # one image decoded at a time
        im = open_image(p)
        all_gray = all_gray and im.mode in GRAY_MODES
        if image_size is None:
            first_size = first_size or (p, im.size)
            if im.size != first_size[1]:
                (w0, h0), (w1, h1) = first_size[1], im.size
                raise DataError(f"{root}: images of mixed sizes ({first_size[0].name} is {w0}x{h0}, "
                                f"{p.name} is {w1}x{h1}); pass image_size to resize them all")
        im = im.convert(mode)
        if image_size is not None and im.size != (image_size, image_size):
            im = _center_square(im).resize((image_size, image_size), Image.BICUBIC)
        a = np.asarray(im, dtype=np.uint8)
        arrays.append(a[None] if mode == "L" else a.transpose(2, 0, 1))
    if channels is None:
        channels = 1 if all_gray else 3
    x = from_uint8(np.stack(arrays)[:, :channels])  # [N, C, H, W]; L -> RGB copies L into each channel
    labels, classes = _labels(root, files)
    tr, te = fixed_split(len(files), test_count(len(files)))
    y = torch.from_numpy(labels) if labels is not None else None
    return Dataset(
        name=root.resolve().name, kind="image", train=x[tr], test=x[te], levels=256,
        train_labels=y[tr] if y is not None else None, test_labels=y[te] if y is not None else None,
        num_classes=len(classes) if classes else None,
        meta={"source": str(root), "classes": classes, "image_size": image_size, "channels": channels},
    )
