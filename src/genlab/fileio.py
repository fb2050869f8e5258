"""Atomic file writing: readers (and a process killed mid-write) see the old file or the new one, never half.

Every writer goes through a uniquely named temp file in the target's folder (two processes writing the same
cache file never share a temp), fsyncs it and renames it over the target.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write_with(path: Path, write: Callable[[str], None]) -> None:
    """Atomic write through any writer that takes a file name (e.g. safetensors' save_file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Bytes written atomically."""
    atomic_write_with(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: Path, text: str) -> None:
    """Text (UTF-8) written atomically."""
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: Path, obj: dict) -> None:
    """JSON (indent 1) written atomically."""
    atomic_write_bytes(path, json.dumps(obj, indent=1).encode())
