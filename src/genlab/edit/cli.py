"""`genlab edit RUN --task ...`: diffusion's image editing applications on input images."""

from __future__ import annotations

import argparse


def add_edit_parser(sub) -> None:
    e = sub.add_parser("edit", help="diffusion editing: inpaint, img2img, denoise, superres")
    e.add_argument("run", help="a ddpm or ldm run folder")
    e.add_argument("--task", required=True, choices=("inpaint", "img2img", "denoise", "superres"))
    e.set_defaults(func=cmd_edit)


def cmd_edit(a: argparse.Namespace) -> int:
    raise NotImplementedError
