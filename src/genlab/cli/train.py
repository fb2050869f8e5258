"""`genlab train FAMILY`: one model into a numbered run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.cli.options import add_budget_args, budget_from_args
from genlab.errors import ConfigError
from genlab.models.registry import FAMILY_NAMES


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train one model family", description="Train one model family into a "
                       "numbered run folder (config.json, metrics.jsonl, checkpoints/, samples/).")
    t.add_argument("family", choices=FAMILY_NAMES)
    t.add_argument("--data", help="dataset name (ring8, grid25, swissroll, moons, digits, mnist, fashion-mnist, "
                   "cifar10) or a path to an image folder or .npz/.npy file (default: digits)")
    t.add_argument("--data-dir", help="folder holding dataset files (default: $GENLAB_DATA)")
    t.add_argument("--config", help="TOML file with [data], [train] and [model] tables")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.lr=1e-3 --set model.latent_dim=16")
    add_budget_args(t)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--out", default="runs", help="folder of run folders (default: runs)")
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    t.add_argument("--resume", nargs="?", const="latest", metavar="RUN",
                   help="continue a run: its folder, or the latest run of this family and data under --out")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)


def _resumed_config(a: argparse.Namespace, file: dict | None, budget: dict):
    """The stored config of the run --resume names; a new budget is the one thing that may change."""
    from genlab.config import update_dataclass
    from genlab.runs import latest_run_dir, read_run_config, run_name

    data_name = a.data or (file or {}).get("data", {}).get("name", "digits")
    run_dir = latest_run_dir(a.out, run_name(a.family, data_name)) if a.resume == "latest" else Path(a.resume)
    if run_dir is None or not (run_dir / "config.json").is_file():
        raise ConfigError(f"--resume: no run to resume ({run_dir or a.out + '/*-' + a.family})")
    cfg = read_run_config(run_dir)
    if budget:  # a resumed run may be given a new (larger) budget, nothing else
        cleared = {"steps": None, "images": None, "budget": None}
        cfg.train = update_dataclass(update_dataclass(cfg.train, cleared, "train"), budget, "train")
    if cfg.family != a.family:
        raise ConfigError(f"--resume: {run_dir} is a {cfg.family} run, not {a.family}")
    return cfg, run_dir


def cmd_train(a: argparse.Namespace) -> int:
    from genlab.config import load_toml, run_config
    from genlab.data import load_data_from_config
    from genlab.runs import new_run_dir, run_name
    from genlab.train.trainer import Trainer

    data = {k: v for k, v in (("name", a.data), ("data_dir", a.data_dir)) if v}
    train = {**budget_from_args(a), **{k: getattr(a, k) for k in ("seed", "device", "batch_size")
                                        if getattr(a, k) is not None}}
    file = load_toml(a.config) if a.config else None
    if a.resume:
        cfg, run_dir = _resumed_config(a, file, budget_from_args(a))
    else:
        cfg = run_config(a.family, file=file, sets=a.set, data=data, train=train)
    dataset = load_data_from_config(cfg.data)
    if not a.resume:
        run_dir = new_run_dir(a.out, run_name(a.family, cfg.data.name))
    trainer = Trainer(cfg, dataset, run_dir, resume=bool(a.resume), progress=not a.quiet)
    result = trainer.fit()
    if trainer.dist.is_main:
        print(f"trained {a.family} for {result.step} steps ({result.images_seen} images, {result.seconds:.1f} s) "
              f"-> {run_dir}")
    return 0
