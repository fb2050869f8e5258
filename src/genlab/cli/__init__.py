"""The `genlab` command: train, distill, sample, evaluate, score, edit, compare, data, evaluator.

Each command is one module here with `add_parser(sub)` (its argparse parser, which sets `func`) and its
handler. Nothing below this package imports it.
"""

from __future__ import annotations

import argparse
import sys

from genlab.cli import compare, data, distill, edit, evaluate, sample, score, train
from genlab.errors import GenlabError

COMMAND_MODULES = (train, distill, sample, evaluate, score, edit, compare, data)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genlab", description="Train, sample, evaluate and compare VAEs, GANs, "
                                "diffusion and latent diffusion models on equal footing.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    import torch

    torch.set_flush_denormal(True)  # subnormal floats slow CPU kernels 20-50x; flushing them costs nothing
    try:
        return a.func(a)
    except GenlabError as e:
        print(f"genlab: {e.label}: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("genlab: interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "main"]
