"""`genlab compare`: every family, one data split, one budget, one metric suite, one report.

Each (family, seed) trains into OUT/runs/<family>-seed<S>/ and is evaluated into its metrics.json;
that file is written last, so its presence marks the run finished. A re-run with the same --out
skips finished runs and resumes unfinished ones from their last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from genlab.errors import ConfigError
from genlab.samplers import SAMPLERS

DEFAULT_FAMILIES = ("vae", "gan", "ddpm", "ldm")
DEFAULT_BUDGET = "70s"  # per family: four families, evaluation included, stay within 10 minutes on 2 cores
PROBES = (0.125, 0.25, 0.5, 0.75, 1.0)  # fractions of the budget where quality-vs-training-time is measured


@dataclass
class CompareSpec:
    data: str = "digits"
    data_dir: str | None = None
    families: tuple[str, ...] | None = None  # None: every family that fits the data
    budget: str | None = None
    steps: int | None = None
    images: int | None = None
    seeds: int = 1
    out: Path = Path("compare-out")
    device: str = "auto"
    n_eval: int = 1000  # samples per family for the metric suite
    n_curve: int = 250  # samples per point of the quality curves
    n_likelihood: int = 100  # test examples for bits/dim (the diffusion bound costs T network calls each)
    n_latent: int = 128  # test examples for reconstruction and interpolation
    sets: list[str] = field(default_factory=list)  # FAMILY.section.key=value overrides
    step_grid: dict[str, tuple[int, ...]] | None = None  # sampler -> step counts (default: STEP_GRID)
    progress: bool = True

    def budget_fields(self) -> dict:
        given = {k: v for k, v in (("budget", self.budget), ("steps", self.steps), ("images", self.images))
                 if v is not None}
        return given or {"budget": DEFAULT_BUDGET}


def add_compare_parser(sub) -> None:
    c = sub.add_parser("compare", help="train every family under one budget and write a comparison report",
                       description="Train every chosen family on the same data and split under the same budget, "
                       "evaluate them with one metric suite and write report.html, report.md and results.json. "
                       "The budget is per family. A re-run with the same --out skips finished families.")
    c.add_argument("--data", default="digits", help="dataset (default: digits, bundled with scikit-learn)")
    c.add_argument("--data-dir", help="folder holding dataset files (default: $GENLAB_DATA)")
    c.add_argument("--families", help="comma-separated (default: all four; vae,gan,ddpm on 2-D data)")
    b = c.add_mutually_exclusive_group()
    b.add_argument("--budget", help=f"wall-clock training time per family, e.g. 90s, 10m (default {DEFAULT_BUDGET})")
    b.add_argument("--steps", type=int, help="optimizer steps per family")
    b.add_argument("--images", type=int, help="training images seen per family (the same for every family)")
    c.add_argument("--seeds", type=int, default=1, help="seeds per family (mean +- std in the table)")
    c.add_argument("--out", default="compare-out", help="output folder (default: compare-out)")
    c.add_argument("--device", default="auto")
    c.add_argument("--n-eval", type=int, default=1000, help="samples per family for the metrics (default 1000)")
    c.add_argument("--n-curve", type=int, default=250, help="samples per point of the quality curves (default 250)")
    c.add_argument("--n-likelihood", type=int, default=100, help="test examples for bits/dim (default 100)")
    c.add_argument("--n-latent", type=int, default=128, help="test examples for reconstruction (default 128)")
    c.add_argument("--set", action="append", default=[], metavar="FAMILY.KEY=VALUE",
                   help="per-family override, e.g. --set vae.model.latent_dim=8 --set gan.train.lr=1e-4")
    c.add_argument("--step-grid", help="diffusion samplers and step counts for the quality-vs-steps curve, e.g. "
                   "'ddpm:1000;ddim:10,20,50;dpm_solver:10,20' (default: ddpm:100,1000;ddim:5,10,20,50,100;"
                   "dpm_solver:5,10,20;sde_dpm_solver:5,10,20)")
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
        if name.strip() not in SAMPLERS or not grid[name.strip()]:
            raise ConfigError(f"--step-grid: '{part}' needs a sampler ({', '.join(SAMPLERS)}) and step counts")
    return grid


def cmd_compare(a: argparse.Namespace) -> int:
    families = tuple(f.strip() for f in a.families.split(",") if f.strip()) if a.families is not None else None
    bad = [f for f in families or () if f not in DEFAULT_FAMILIES]
    if bad or families == ():
        raise ConfigError(f"--families: unknown {', '.join(bad) or '(none given)'} (choose from "
                          f"{', '.join(DEFAULT_FAMILIES)})")
    if a.seeds < 1:
        raise ConfigError("--seeds must be at least 1")
    spec = CompareSpec(a.data, a.data_dir, families, a.budget, a.steps, a.images, a.seeds, Path(a.out), a.device,
                       a.n_eval, a.n_curve, a.n_likelihood, a.n_latent, a.set, parse_step_grid(a.step_grid),
                       not a.quiet)
    paths = run_compare(spec)
    print(f"report -> {paths['html']}")
    return 0


def family_overrides(sets: list[str], family: str) -> list[str]:
    """'vae.model.latent_dim=8' -> 'model.latent_dim=8' for the vae; other families' items are dropped."""
    out = []
    for item in sets:
        fam, _, rest = item.partition(".")
        if fam not in DEFAULT_FAMILIES or not rest:
            raise ConfigError(f"--set {item!r}: expected FAMILY.section.key=value, e.g. vae.model.latent_dim=8")
        if fam == family:
            out.append(rest)
    return out


def _config(spec: CompareSpec, family: str, seed: int):
    from genlab.config import build_config, parse_set
    from genlab.models.registry import get_family

    model_cls, cfg_cls = get_family(family)
    cli = {"data": {"name": spec.data, **({"data_dir": spec.data_dir} if spec.data_dir else {})},
           "train": {**spec.budget_fields(), "seed": seed, "device": spec.device}}
    return build_config(family, model_cls, cfg_cls, sets=parse_set(family_overrides(spec.sets, family)), cli=cli)


def run_compare(spec: CompareSpec) -> dict[str, Path]:
    """Train, evaluate and report; returns the paths of the report files."""
    from genlab.artifacts import save_run_artifacts
    from genlab.compare_extras import family_extras, quality_probe
    from genlab.data import dataset_fingerprint, load_dataset
    from genlab.device import resolve_device
    from genlab.evaluate import evaluate_run
    from genlab.metrics.evaluator import load_or_train_evaluator
    from genlab.train.trainer import Trainer

    data = load_dataset(spec.data, data_dir=spec.data_dir)
    if spec.families is None:
        spec.families = tuple(f for f in DEFAULT_FAMILIES if data.kind == "image" or f != "ldm")
    for f in spec.families:  # fail fast on bad overrides, before any training
        _config(spec, f, 0)
    if data.kind == "points" and "ldm" in spec.families:
        raise ConfigError(f"--families: ldm needs image data (a spatial latent); '{data.name}' is 2-D points "
                          "(use --families vae,gan,ddpm)")
    device = resolve_device(spec.device)
    spec.out.mkdir(parents=True, exist_ok=True)
    evaluator = load_or_train_evaluator(data, dataset_fingerprint(data), device, progress=spec.progress)
    ref = evaluator.features(data.test)  # test-split features: the reference of every quality curve
    jobs = [(f, s) for s in range(spec.seeds) for f in spec.families]
    overall = tqdm(total=len(jobs), desc="compare", position=0, disable=not spec.progress, dynamic_ncols=True)
    lines = {f: tqdm(total=1, desc=f"  {f:<5}", position=i + 1, disable=not spec.progress, dynamic_ncols=True,
                     bar_format="{desc} {bar} {n_fmt}/{total_fmt} {unit} {postfix}")
             for i, f in enumerate(spec.families)}
    for f in spec.families:
        lines[f].set_postfix_str("waiting")
    for family, seed in jobs:
        run_dir = spec.out / "runs" / f"{family}-seed{seed}"
        line = lines[family]
        if (run_dir / "metrics.json").is_file():
            line.set_postfix_str(f"seed {seed}: done (kept from an earlier run)")
            overall.update(1)
            continue
        cfg = _config(spec, family, seed)
        line.set_postfix_str(f"seed {seed}: training")
        resume = (run_dir / "checkpoints" / "latest.json").is_file()
        probe = quality_probe(data, evaluator, ref, spec.n_curve) if seed == 0 else None
        trainer = Trainer(cfg, data, run_dir, resume=resume, progress=False, device=spec.device, bar=line,
                          probes=PROBES if seed == 0 else (), probe_fn=probe)
        trainer.fit()
        ema = trainer.ema
        save_run_artifacts(ema, data, run_dir, seed=0)
        if seed == 0:
            line.set_postfix_str("seed 0: family extras (quality vs steps, edits, ELBO terms)")
            family_extras(ema, data, evaluator, ref, run_dir, spec.n_curve, spec.step_grid, spec.n_likelihood)
        line.set_postfix_str(f"seed {seed}: evaluating")
        evaluate_run(run_dir, n_samples=spec.n_eval, seed=0, device=spec.device, evaluator=evaluator, data=data,
                     progress=False, n_likelihood=spec.n_likelihood, n_latent=spec.n_latent)
        line.set_postfix_str(f"seed {seed}: done")
        overall.update(1)
    for bar in [overall, *lines.values()]:
        bar.close()
    return write_compare_report(spec, data)


def write_compare_report(spec: CompareSpec, data) -> dict[str, Path]:
    """Gather every run folder's files into the report (the report reads files only)."""
    from genlab.compare_extras import collect_inputs
    from genlab.report.results import build_results
    from genlab.report.write import write_report

    inputs = collect_inputs(spec.out, spec.families, spec.seeds)
    meta = {"data": data.name, "data_shape": list(data.info.shape), "n_train": len(data.train),
            "n_test": len(data.test), "seeds": spec.seeds,
            "budget": "per family: " + ", ".join(f"{v} {k}" if k != "budget" else f"{v} wall clock"
                                                 for k, v in spec.budget_fields().items()),
            "families": list(spec.families), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": f"{platform.machine()} {platform.processor() or ''} {torch.get_num_threads()} threads, "
                       f"{'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU'}",
            "torch": torch.__version__}
    results = build_results(meta=meta, **inputs)
    paths = write_report(spec.out, results)
    (spec.out / "compare.json").write_text(json.dumps({"spec": {**spec.__dict__, "out": str(spec.out)}}, indent=1))
    return paths
