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

from genlab.errors import PathError


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



def _unwritable_folder(path: Path, named: Path) -> str | None:
    """Why `path` cannot be used (or created) as a writable folder, or None. Creates nothing that stays: a
    probe file in the nearest existing folder is made and removed at once."""
    existing = path
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        is_dir = existing.is_dir()
    except OSError as e:
        return f"cannot be reached ({e.strerror or e})"
    if not is_dir:
        return "is a file, not a folder" if existing == named else f"{existing} is a file, not a folder"
    try:
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".genlab-probe-")
    except OSError as e:
        return f"cannot write in {existing} ({e.strerror or e})"
    os.close(fd)
    os.remove(probe)
    return None


def check_output_dir(path: Path, what: str) -> None:
    """PathError unless `path` is, or can be created as, a folder this process can write in."""
    why = _unwritable_folder(Path(path), Path(path))
    if why:
        raise PathError(f"{what} {path}: {why}")


def check_output_file(path: Path, what: str) -> None:
    """PathError unless `path` can be written as a file (its folder existing or creatable)."""
    path = Path(path)
    why = "is a folder, not a file" if path.is_dir() else _unwritable_folder(path.parent, path)
    if why:
        raise PathError(f"{what} {path}: {why}")
