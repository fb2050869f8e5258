"""Training a family exactly as `genlab train` configures it (the config layer's defaults for the data's kind),
for a fixed number of steps, and reading the end-of-run diagnostics: the family tests' shared helper."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genlab.config import run_config
from genlab.data import load_dataset
from genlab.train.trainer import Trainer

QUIET = {"sample_every": 0, "checkpoint_every": 0, "checkpoint_minutes": 0.0, "device": "cpu"}


def train_with_defaults(family: str, data_name: str, seed: int, steps: int, run_dir: Path) -> Trainer:
    """A finished Trainer of `family` on `data_name` with the user's defaults, a steps budget and this seed."""
    data = load_dataset(data_name)
    cfg = run_config(family, data={"name": data_name}, train={"steps": steps, "seed": seed, **QUIET},
                     data_info=data.info)
    trainer = Trainer(cfg, data, run_dir, progress=False)
    trainer.result = trainer.fit()
    return trainer


def final_diagnostics(run_dir: Path) -> dict[str, float]:
    """The diag/* values of the last step in run_dir/metrics.jsonl (modes covered, high-quality share)."""
    rows = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines()]
    last = [r for r in rows if "diag/modes_covered" in r][-1]
    return {k.removeprefix("diag/"): v for k, v in last.items() if k.startswith("diag/")}


def modes_and_hq(family: str, data_name: str, seed: int, steps: int, run_dir: Path) -> tuple[int, float]:
    """(modes covered, high-quality share) of the EMA model at the end of a default run (2000 samples)."""
    torch.manual_seed(seed)
    train_with_defaults(family, data_name, seed, steps, run_dir)
    d = final_diagnostics(run_dir)
    return int(d["modes_covered"]), d["hq_share"]


def classes_covered(family: str, seed: int, steps: int, run_dir: Path, n: int = 1000) -> int:
    """Digit classes the evaluator sees in n samples of the EMA model after a default run on digits."""
    from genlab.data import dataset_fingerprint
    from genlab.evaluation.evaluator import load_or_train_evaluator
    from genlab.metrics.classes import class_coverage

    trainer = train_with_defaults(family, "digits", seed, steps, run_dir)
    data = trainer.data
    evaluator = load_or_train_evaluator(data, dataset_fingerprint(data), "cpu", progress=False)
    x = trainer.ema.sample(n, torch.Generator().manual_seed(0))
    return class_coverage(evaluator.predict(x), data.num_classes)
