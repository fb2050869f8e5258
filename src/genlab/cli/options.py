"""Flags shared by several commands: the training budget and the sampling options."""

from __future__ import annotations

import argparse

from genlab.config import coerce_value
from genlab.errors import ConfigError
from genlab.samplers import SAMPLERS, option_defaults


def add_budget_args(p: argparse.ArgumentParser, per_family: bool = False, default: str | None = None) -> None:
    """--steps | --images | --budget, mutually exclusive."""
    b = p.add_mutually_exclusive_group()
    each = " per family" if per_family else ""
    b.add_argument("--steps", type=int, help=f"budget: optimizer iterations{each}")
    b.add_argument("--images", type=int, help=f"budget: training images seen{each} (the same for every family)")
    b.add_argument("--budget", help=f"budget: wall-clock time{each}, e.g. 40s, 10m, 2h"
                   + (f" (default {default})" if default else ""))


def budget_from_args(a: argparse.Namespace) -> dict:
    """The budget flags that were given, as train config keys."""
    return {k: getattr(a, k) for k in ("steps", "images", "budget") if getattr(a, k) is not None}


def add_sampling_args(p: argparse.ArgumentParser, every_family: bool = True) -> None:
    """--sampler, --steps and the samplers' own options (--eta, or any declared one as --sampler-option)."""
    p.add_argument("--sampler", help=f"diffusion: {', '.join(SAMPLERS)}")
    p.add_argument("--sample-steps", "--steps", dest="sample_steps", type=int, help="diffusion: sampling steps")
    p.add_argument("--eta", type=float, help="diffusion (DDIM): stochasticity eta")
    p.add_argument("--sampler-option", action="append", default=[], metavar="KEY=VALUE",
                   help=f"diffusion: any option a sampler declares ({', '.join(option_defaults())})")
    p.add_argument("--guidance", type=float, help="conditional diffusion: classifier-free guidance weight w "
                   "(eps = (1 + w) eps(x, y) - w eps(x); 0: plain conditional sampling)")
    if every_family:
        p.add_argument("--truncation", type=float, help="GAN: truncation psi")
        p.add_argument("--temperature", type=float, help="VAE: prior temperature")


def add_label_args(p: argparse.ArgumentParser) -> None:
    """--label K | all | null, or --labels 0,1,2: the classes a conditional run draws (image k: labels[k mod n])."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--label", help="conditional runs: draw class K, 'all' (an even split: image k of class k mod "
                   "the number of classes; the default) or 'null' (diffusion: unconditional, the null class)")
    g.add_argument("--labels", help="conditional runs: comma-separated classes, image k gets the (k mod n)-th")


def labels_from_args(a: argparse.Namespace) -> list[int] | str | None:
    """The labels --label/--labels give: a list the images cycle through (-1: null), "all", or None (no flag)."""
    flag, text = ("--labels", a.labels) if getattr(a, "labels", None) is not None else ("--label", a.label)
    if text is None or text.strip() == "all":
        return None if text is None else "all"
    items = [v.strip() for v in text.split(",")] if flag == "--labels" else [text.strip()]
    try:
        return [-1 if v == "null" else int(v) for v in items]
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: expected class numbers, 'all' or 'null'") from None


def sampling_options_from_args(a: argparse.Namespace) -> dict:
    """The sampling options the flags give (None where a flag is absent), typed like the declared defaults."""
    opts = {"sampler": a.sampler, "steps": a.sample_steps, "eta": a.eta, "guidance": getattr(a, "guidance", None),
            "truncation": getattr(a, "truncation", None), "temperature": getattr(a, "temperature", None)}
    declared = option_defaults()
    for item in a.sampler_option:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or key not in declared:
            raise ConfigError(f"--sampler-option {item!r}: expected KEY=VALUE with KEY one of "
                              f"{', '.join(declared)}")
        opts[key] = coerce_value(value.strip(), type(declared[key]), f"--sampler-option {key}")
    return opts
