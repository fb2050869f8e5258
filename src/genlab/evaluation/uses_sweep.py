"""`genlab compare --uses`: the uses of each compared run (uses.json, written before metrics.json so a finished
run has both) and the VAE's beta sweep for the rate-distortion curve: short `--set model.beta=B` runs sharing one
family budget, each writing OUT/uses/vae-beta<B>/rate_distortion.json."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genlab.config import family_sets, parse_duration, run_config
from genlab.data.dataset import Dataset
from genlab.evaluation.bottleneck import compression_point
from genlab.evaluation.uses import measure_uses
from genlab.fileio import atomic_write_json
from genlab.runs import load_run
from genlab.train.trainer import Trainer


def split_budget(budget: dict, k: int) -> dict:
    """One k-th of a compare budget ({'budget': '10m'} | {'steps': N} | {'images': N}) for each of k runs."""
    if "budget" in budget:
        return {"budget": f"{parse_duration(budget['budget']) / k:g}s"}
    return {key: max(1, int(v) // k) for key, v in budget.items()}


def ensure_uses(run_dir: Path, data: Dataset, device: torch.device, model=None, **options) -> Path:
    """RUN/uses.json from `model` (or the run folder's EMA model), unless it is already there."""
    out = Path(run_dir) / "uses.json"
    if not out.is_file():
        model = model if model is not None else load_run(run_dir, device)[0]
        uses = measure_uses(model, data, device=device, **options)
        atomic_write_json(out, json.loads(json.dumps(uses, default=float)))
    return out


def beta_sweep(data: Dataset, out: Path, betas: tuple[float, ...], sets: list[str], budget: dict,
               data_table: dict, device: torch.device, seed: int = 0, n: int = 500, stop=None) -> list[Path]:
    """Train a VAE at each beta on 1/len(betas) of `budget` (resumable) and write its rate-distortion point."""
    paths = []
    for beta in betas:
        run_dir = Path(out) / "uses" / f"vae-beta{beta:g}"
        target = run_dir / "rate_distortion.json"
        paths.append(target)
        if target.is_file():
            continue
        cfg = run_config("vae", sets=[*family_sets(sets, "vae"), f"model.beta={beta!r}"], data=data_table,
                         train={**split_budget(budget, len(betas)), "seed": seed, "device": str(device)},
                         data_info=data.info)
        resume = (run_dir / "checkpoints" / "latest.json").is_file()
        trainer = Trainer(cfg, data, run_dir, resume=resume, progress=False, device=device, stop=stop)
        trainer.fit()
        point = compression_point(trainer.ema, data.test[:n], torch.device(device))
        atomic_write_json(target, {"beta": float(beta), **point, "budget": split_budget(budget, len(betas))})
    return paths
