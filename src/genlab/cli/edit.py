"""`genlab edit RUN --task ...`: diffusion's editing applications on input images."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from genlab.data.dataset import DataInfo
from genlab.edit.masks import centre_box_mask
from genlab.edit.tasks import TASKS
from genlab.errors import ConfigError, DataError


def add_parser(sub) -> None:
    e = sub.add_parser("edit", help="diffusion editing: inpaint, img2img, denoise, superres",
                       description="Edit images with a trained diffusion run (unconditional model): inpaint a "
                       "masked region (RePaint), image-to-image (SDEdit), denoise, super-resolve (ILVR).")
    e.add_argument("run", help="a ddpm or ldm run folder")
    e.add_argument("--task", required=True, choices=TASKS)
    e.add_argument("--input", required=True, help="a PNG/JPEG file, a folder of them, or an .npz/.npy uint8 array")
    e.add_argument("--out", required=True, help="folder for the edited PNGs")
    e.add_argument("--mask", help="inpaint: mask image (white = keep), same size as the inputs")
    e.add_argument("--box", help="inpaint: region to repaint as x0,y0,x1,y1 in pixels (default: the centre)")
    e.add_argument("--strength", type=float, default=0.5, help="img2img: noise strength in [0, 1]")
    e.add_argument("--sigma", type=float, default=0.1, help="denoise: noise std of the input (data in [-1, 1])")
    e.add_argument("--factor", type=int, default=2, help="superres: upscaling factor")
    e.add_argument("--steps", type=int, help="sampling steps (default: the model's)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--label", type=int, help="conditional runs: the class every edited image is steered to "
                   "(default: the null class, i.e. unconditional)")
    e.add_argument("--guidance", type=float, default=0.0, help="conditional runs: classifier-free guidance weight")
    e.add_argument("--device", default="auto")
    e.set_defaults(func=cmd_edit)


def read_images(path: Path, channels: int) -> torch.Tensor:
    """Images in [-1, 1] as [N, C, H, W] from a file, a folder or a uint8 array file."""
    from genlab.data.arrays import read_array_file
    from genlab.data.images import MAX_IMAGE_SIDE, open_image

    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.suffix in (".npz", ".npy"):
        arrays = read_array_file(path)
        if not arrays:
            raise DataError(f"{path}: holds no arrays")
        arr = next(iter(arrays.values()))
        if arr.dtype != np.uint8 or arr.ndim not in (3, 4) or 0 in arr.shape \
                or max(arr.shape[1:3]) > MAX_IMAGE_SIDE:
            raise DataError(f"{path}: expected a uint8 array [N, H, W] or [N, H, W, C] of 1 to {MAX_IMAGE_SIDE} "
                            f"pixels per side, got {arr.dtype} {arr.shape}")
        arr = arr[..., None] if arr.ndim == 3 else arr
        return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2).float() / 127.5 - 1
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg")) \
        if path.is_dir() else [path]
    if not files:
        raise DataError(f"{path}: no PNG or JPEG images")
    imgs = []
    for f in files:
        with open_image(f) as im:
            imgs.append(np.asarray(im.convert("L" if channels == 1 else "RGB")))
    if len({a.shape for a in imgs}) > 1:
        raise DataError(f"{path}: images of mixed sizes")
    arr = np.stack(imgs)
    arr = arr[..., None] if arr.ndim == 3 else arr
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 127.5 - 1


def check_size(x: torch.Tensor, info: DataInfo, task: str, factor: int, path: Path) -> None:
    c, h, w = info.shape
    want = (h // factor, w // factor) if task == "superres" else (h, w)
    if tuple(x.shape[1:]) != (c, *want):
        raise DataError(f"{path}: images are {tuple(x.shape[1:])} (C, H, W) but this run needs {(c, *want)}"
                        + (f" (its {h}x{w} divided by --factor {factor})" if task == "superres" else ""))


def cmd_edit(a: argparse.Namespace) -> int:
    from genlab.device import resolve_device
    from genlab.edit.tasks import apply_edit
    from genlab.fileio import check_output_dir
    from genlab.runs import load_run
    from genlab.visual import save_png, to_uint8

    check_output_dir(Path(a.out), "--out")
    device = resolve_device(a.device)
    model, cfg, info, _ = load_run(a.run, device)
    if cfg.family not in ("ddpm", "ldm") or info.kind != "image":
        raise ConfigError(f"{a.run}: editing needs an image diffusion run (ddpm or ldm), not {cfg.family}")
    x = read_images(Path(a.input), info.shape[0])
    check_size(x, info, a.task, a.factor, Path(a.input))
    opts: dict = {"steps": a.steps}
    if a.task == "inpaint":
        mask = read_images(Path(a.mask), 1)[:1].gt(0).float() if a.mask else centre_box_mask(info.shape, a.box)
        if mask.shape[-2:] != x.shape[-2:]:
            raise DataError(f"{a.mask}: mask is {tuple(mask.shape[-2:])}, images are {tuple(x.shape[-2:])}")
        opts["mask"] = mask.expand(len(x), info.shape[0], -1, -1).to(device)
    elif a.task == "img2img":
        if not 0.0 <= a.strength <= 1.0:
            raise ConfigError(f"--strength {a.strength}: must be in [0, 1]")
        opts["strength"] = a.strength
    elif a.task == "denoise":
        opts["sigma"] = a.sigma
    else:
        opts["factor"] = a.factor
    if a.label is not None or a.guidance:
        if not model.conditional:
            raise ConfigError(f"--label and --guidance need a conditional run; {a.run} is unconditional")
        opts["guidance"] = a.guidance
        opts["labels"] = model.sample_labels(len(x), [a.label] * len(x)) if a.label is not None else None
    g = torch.Generator(device).manual_seed(a.seed)
    with torch.no_grad():
        y = apply_edit(model, a.task, x.to(device), g, **opts)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(to_uint8(y.cpu())):
        save_png(img, out / f"{a.task}-{i:04d}.png")
    print(f"{len(y)} {a.task} results -> {out}")
    return 0
