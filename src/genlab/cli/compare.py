"""`genlab compare`: every family, one data split, one budget, one metric suite, one report."""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.cli.options import add_budget_args
from genlab.config import DEFAULT_COMPARE_BUDGET as DEFAULT_BUDGET
from genlab.errors import ConfigError, Stopped
from genlab.models.registry import FAMILY_NAMES
from genlab.samplers import get_sampler


def add_parser(sub) -> None:
    c = sub.add_parser("compare", help="train every family under one budget and write a comparison report",
                       description="Train every chosen family on the same data and split under the same budget, "
                       "evaluate them with one metric suite and write report.html, report.md and results.json. "
                       "The budget is per family. A re-run with the same --out skips finished families and resumes the "
                       "others; SIGTERM or SIGINT stops it with a checkpoint written (exit code 4).")
    c.add_argument("--data", default="digits", help="dataset (default: digits, bundled with scikit-learn)")
    c.add_argument("--data-dir", help="folder holding dataset files (default: $GENLAB_DATA)")
    c.add_argument("--families", help="comma-separated (default: all four; vae,gan,ddpm on 2-D data)")
    add_budget_args(c, per_family=True, default=DEFAULT_BUDGET)
    c.add_argument("--seeds", type=int, default=1, help="seeds per family (mean +- std in the table)")
    c.add_argument("--out", default="compare-out", help="output folder (default: compare-out)")
    c.add_argument("--device", default="auto", help="device for training and evaluation (default auto)")
    c.add_argument("--devices", help="train the runs in parallel, one process per device, e.g. cuda:0,cuda:1 (or "
                   "cpu,cpu); the same budgets, evaluation on --device afterwards; the report notes the placement")
    c.add_argument("--n-eval", type=int, default=1000, help="samples per family for the metrics (default 1000)")
    c.add_argument("--n-curve", type=int, default=250, help="samples per point of the quality curves (default 250)")
    c.add_argument("--n-likelihood", type=int, default=100, help="test examples for bits/dim (default 100)")
    c.add_argument("--n-latent", type=int, default=128, help="test examples for reconstruction (default 128)")
    c.add_argument("--set", action="append", default=[], metavar="FAMILY.KEY=VALUE",
                   help="per-family override, e.g. --set vae.model.latent_dim=8 --set gan.train.lr=1e-4")
    c.add_argument("--step-grid", help="diffusion samplers and step counts for the quality-vs-steps curve, e.g. "
                   "'ddpm:1000;ddim:10,20,50;dpm_solver:10,20' (default: ddpm:100,1000;ddim:5,10,20,50,100;"
                   "dpm_solver:5,10,20;sde_dpm_solver:5,10,20)")
    c.add_argument("--dinov2", metavar="DIR", help="a local DINOv2 model folder (transformers): FD-DINOv2 as a "
                   "third feature space")
    c.add_argument("--conditional", action="store_true", help="train every family class-conditionally (data with "
                   "labels); the report adds class accuracy and fidelity against diversity as each family turns its "
                   "own knob (guidance, truncation, temperature)")
    c.add_argument("--uses", action="store_true", help="also measure what each family is used for: anomaly "
                   "detection, compression (with a VAE beta sweep sharing one family budget), representations, the "
                   "bottleneck (issue 17); the report adds four sections")
    c.add_argument("--uses-betas", default="0.5,1,2", help="betas of the VAE sweep (default 0.5,1,2; '' for none)")
    c.add_argument("--uses-n", type=int, default=500, help="test images per measurement of the uses (default 500)")
    c.add_argument("--ood", metavar="NAME|PATH", help="out-of-distribution dataset for --uses' anomaly detection")
    c.add_argument("--distill", nargs="?", const="consistency", choices=("consistency", "progressive"),
                   help="also distil each diffusion family (default method: consistency) on 25%% of its budget and "
                   "report the student at 1, 2 and 4 steps")
    c.add_argument("--quiet", action="store_true")
    c.set_defaults(func=cmd_compare)


def parse_step_grid(text: str | None) -> dict[str, tuple[int, ...]] | None:
    """'ddpm:1000;ddim:10,20' -> {'ddpm': (1000,), 'ddim': (10, 20)}."""
    if not text:
        return None
    grid = {}
    for part in text.split(";"):
        name, _, steps = part.partition(":")
        try:
            grid[name.strip()] = tuple(int(s) for s in steps.split(",") if s.strip())
        except ValueError:
            raise ConfigError(f"--step-grid: cannot read '{part}' (expected sampler:steps,steps)") from None
        get_sampler(name.strip())
        if not grid[name.strip()]:
            raise ConfigError(f"--step-grid: '{part}' needs step counts after the sampler name")
    return grid


def parse_betas(text: str) -> tuple[float, ...]:
    """'0.5,1,2' -> (0.5, 1.0, 2.0); each beta must be >= 0."""
    try:
        betas = tuple(float(b) for b in text.split(",") if b.strip())
    except ValueError:
        raise ConfigError(f"--uses-betas: cannot read '{text}' (expected e.g. 0.5,1,2)") from None
    if any(b < 0 for b in betas):
        raise ConfigError(f"--uses-betas: betas must be >= 0, got '{text}'")
    return betas


def cmd_compare(a: argparse.Namespace) -> int:
    from genlab.compare import CompareSpec, run_compare
    from genlab.train.preempt import stop_on_signals

    families = tuple(f.strip() for f in a.families.split(",") if f.strip()) if a.families is not None else None
    bad = [f for f in families or () if f not in FAMILY_NAMES]
    if bad or families == ():
        raise ConfigError(f"--families: unknown {', '.join(bad) or '(none given)'} (choose from "
                          f"{', '.join(FAMILY_NAMES)})")
    if a.uses_n < 2:
        raise ConfigError("--uses-n must be at least 2")
    if a.seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    if a.distill and a.conditional:
        raise ConfigError("--distill: conditional students are not supported yet (drop --conditional or --distill)")
    spec = CompareSpec(a.data, a.data_dir, families, a.budget, a.steps, a.images, a.seeds, Path(a.out), a.device,
                       a.n_eval, a.n_curve, a.n_likelihood, a.n_latent, a.set, parse_step_grid(a.step_grid),
                       not a.quiet, a.dinov2, a.conditional, distill=a.distill,
                       devices=tuple(d.strip() for d in a.devices.split(",") if d.strip()) if a.devices else None)
    spec.uses, spec.uses_n, spec.ood, spec.uses_betas = a.uses, a.uses_n, a.ood, parse_betas(a.uses_betas)
    with stop_on_signals() as stop:
        try:
            paths = run_compare(spec, stop)
        except Stopped as e:
            raise Stopped(f"{e}; run the same command again to continue (finished work is kept)",
                          e.exit_code) from None
    print(f"report -> {paths['html']}")
    return 0


