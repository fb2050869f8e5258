"""Batched, seeded generation and saving samples to disk (PNG folder, .npz, or 2-D floats)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.base import GenerativeModel


def batch_generator(device: torch.device, seed: int, batch_index: int) -> torch.Generator:
    """Batch b of seed s always draws the same noise: samples are keyed by (seed, batch size)."""
    return torch.Generator(device).manual_seed(seed * 1_000_003 + batch_index)


def check_sample_options(model: GenerativeModel, options: dict) -> dict:
    """The given (non-None) options, or a ConfigError naming the first one this family does not take."""
    given = {k: v for k, v in options.items() if v is not None}
    allowed = model.sample_options()
    for k in given:
        if k not in allowed:
            flag = "--steps" if k == "steps" else f"--{k}"
            raise ConfigError(f"{flag} does not apply to a {model.family} run (its options: "
                              f"{', '.join(allowed) or 'none'})")
    return given


@torch.no_grad()
def generate(model: GenerativeModel, n: int, seed: int = 0, batch_size: int = 256, progress: bool = False,
             **options) -> torch.Tensor:
    """n samples on CPU, [n, *shape], drawn in batches from seeded generators."""
    device = next(model.parameters()).device
    out = []
    batches = range((n + batch_size - 1) // batch_size)
    for b in tqdm(batches, desc=f"sampling {model.family}", disable=not progress or len(batches) < 2):
        m = min(batch_size, n - b * batch_size)
        out.append(model.sample(m, generator=batch_generator(device, seed, b), **options).float().cpu())
    return torch.cat(out)


def save_samples(x: torch.Tensor, out: Path, info: DataInfo) -> Path:
    """Images -> uint8 (PNG files in a folder, or array 'samples' [N,H,W,C] in .npz); points -> floats
    in the data's own coordinates."""
    from genlab.visual import save_png, to_uint8

    if info.kind == "points":
        pts = (x * info.scale + torch.tensor(info.offset)).numpy().astype(np.float32)
        if out.suffix not in (".npz", ".npy"):
            raise ConfigError(f"--out {out}: 2-D samples are saved as .npz or .npy")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".npy":
            np.save(out, pts)
        else:
            np.savez(out, samples=pts)
        return out
    imgs = to_uint8(x)
    if out.suffix == ".npz":
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez(out, samples=imgs)
        return out
    if out.suffix:
        raise ConfigError(f"--out {out}: give FILE.npz or a folder for PNG files")
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(imgs):
        save_png(img, out / f"{i:06d}.png")
    return out
