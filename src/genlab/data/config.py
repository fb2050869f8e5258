"""The [data] table of a run config: which dataset, where its files are, and how to read image folders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DataConfig:
    name: str = "digits"
    data_dir: str | None = None  # falls back to $GENLAB_DATA
    image_size: int | None = None  # image folders: resize to this size
    channels: int | None = None  # image folders: 1 (grayscale) or 3 (RGB)
