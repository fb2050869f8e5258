"""Images out: 8-bit conversion, PNG grids of samples, scatter plots of 2-D samples, sample files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.fileio import check_output_dir, check_output_file


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """[-1, 1] images [N, C, H, W] -> uint8 [N, H, W, C]."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def grid_image(x: torch.Tensor, nrow: int | None = None, pad: int = 1, upscale: int | None = None) -> np.ndarray:
    """[N, C, H, W] in [-1, 1] -> one uint8 [rows*H, cols*W, C] mosaic; small images are upscaled."""
    imgs = to_uint8(x)
    n, h, w, c = imgs.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    ncol = math.ceil(n / nrow)
    canvas = np.full((ncol * (h + pad) + pad, nrow * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, q = divmod(i, nrow)
        canvas[pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = imgs[i]
    up = upscale or max(1, 96 // max(h, w))
    if up > 1:
        canvas = canvas.repeat(up, 0).repeat(up, 1)
    return canvas


def save_png(array: np.ndarray, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)
    img.save(path)


def save_grid(x: torch.Tensor, path: Path, nrow: int | None = None) -> None:
    save_png(grid_image(x, nrow), path)


def save_scatter(points: np.ndarray, path: Path, modes: np.ndarray | None = None, title: str = "",
                 lim: float | None = None) -> None:
    """Scatter of 2-D samples (native coordinates) over the true mode centres, drawn as hollow red rings
    beneath the samples so that a mode's samples stay visible (crosses on top hid them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    if modes is not None:
        ax.scatter(modes[:, 0], modes[:, 1], s=60, facecolors="none", edgecolors="red", linewidths=0.8, zorder=1)
    ax.scatter(points[:, 0], points[:, 1], s=3, alpha=0.5, zorder=2)
    if lim:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def save_samples_figure(x: torch.Tensor, path: Path, data=None, title: str = "") -> None:
    """Grid for images, scatter for points (mapped to native coordinates when the dataset is given)."""
    if x.dim() == 2:
        pts = data.to_native(x.cpu()).numpy() if data is not None else x.cpu().numpy()
        modes = data.modes.numpy() if data is not None and data.modes is not None else None
        save_scatter(pts, path, modes, title)
    else:
        save_grid(x, path)


def check_samples_out(out: Path, info: DataInfo) -> None:
    """The errors save_samples would meet, raised before any sampling: --out's form, then that it can be written."""
    out = Path(out)
    if info.kind == "points" and out.suffix not in (".npz", ".npy"):
        raise ConfigError(f"--out {out}: 2-D samples are saved as .npz or .npy")
    if info.kind != "points" and out.suffix not in ("", ".npz"):
        raise ConfigError(f"--out {out}: give FILE.npz or a folder for PNG files")
    if out.suffix:
        check_output_file(out, "--out")
    else:
        check_output_dir(out, "--out")


def save_samples(x: torch.Tensor, out: Path, info: DataInfo) -> Path:
    """Images -> uint8 (PNG files in a folder, or array 'samples' [N,H,W,C] in .npz); points -> floats
    in the data's own coordinates."""
    check_samples_out(out, info)
    if info.kind == "points":
        pts = (x * info.scale + torch.tensor(info.offset)).numpy().astype(np.float32)
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
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(imgs):
        save_png(img, out / f"{i:06d}.png")
    return out
