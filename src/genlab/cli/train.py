"""`genlab train FAMILY`: one model into a numbered run folder.

SIGTERM or SIGINT stops training at the next step boundary with a checkpoint written (exit code 4). `--resume`
continues from anything: a run with checkpoints, a run stopped before its first one, or (no RUN given) no run
yet, so a restart loop that repeats one command line always makes progress.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.cli.options import add_budget_args, budget_from_args
from genlab.errors import CheckpointError, ConfigError, Stopped
from genlab.models.registry import FAMILY_NAMES

# What a run writes before its config.json (the metrics logger may open TensorBoard first): a folder holding
# only these (or nothing) is a run stopped at birth, which --resume starts from step 0.
_BEFORE_CONFIG = ("metrics.jsonl", "tensorboard", "samples", "config.json.")


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train one model family", description="Train one model family into a "
                       "numbered run folder (config.json, metrics.jsonl, checkpoints/, samples/). SIGTERM or "
                       "SIGINT stops at the next step with a checkpoint written (exit code 4); --resume continues.")
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
    t.add_argument("--conditional", action="store_true", help="class-conditional model (model.conditional=true): "
                   "needs data with labels; sample with --label K, diffusion also with --guidance W")
    t.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    t.add_argument("--resume", nargs="?", const="latest", metavar="RUN",
                   help="continue a run from its last checkpoint (from step 0 if it has none yet): its folder, or "
                   "the latest run of this family and data under --out, starting one if there is none; a budget "
                   "flag may raise its budget")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--log", dest="trackers", metavar="TRACKERS", help="trackers beside metrics.jsonl: tensorboard, "
                   "wandb, or both comma-separated (train.trackers; W&B offline with WANDB_MODE=offline)")
    t.set_defaults(func=cmd_train)


def _find_run(a: argparse.Namespace, file: dict | None) -> Path | None:
    """The folder --resume names, checked to be writable; None when the latest form finds no run."""
    from genlab.fileio import check_output_dir
    from genlab.runs import latest_run_dir, run_name

    if a.resume != "latest":
        run_dir = Path(a.resume)
        if not run_dir.is_dir():
            raise CheckpointError(f"--resume {run_dir}: no such run folder")
        check_output_dir(run_dir, "--resume")
        return run_dir
    check_output_dir(Path(a.out), "--out")
    data_name = a.data or (file or {}).get("data", {}).get("name", "digits")
    return latest_run_dir(a.out, run_name(a.family, data_name))


def _resumed_config(a: argparse.Namespace, run_dir: Path, budget: dict):
    """(the run's stored config with any new budget, or None if it has no config.json yet; a note to print)."""
    from genlab.config import update_dataclass
    from genlab.train.config_file import read_config_file

    if not (run_dir / "config.json").exists():
        if any(not p.name.startswith(_BEFORE_CONFIG) for p in run_dir.iterdir()):
            raise ConfigError(f"--resume {run_dir}: not a run folder (no config.json)")
        return None, f"{run_dir} was stopped before its config was written: starting it from step 0"
    cfg = read_config_file(run_dir)
    if cfg.family != a.family:
        raise ConfigError(f"--resume: {run_dir} is a {cfg.family} run, not {a.family}")
    if budget:  # a resumed run may be given a new (larger) budget, nothing else
        cleared = {"steps": None, "images": None, "budget": None}
        cfg.train = update_dataclass(update_dataclass(cfg.train, cleared, "train"), budget, "train")
    if not (run_dir / "checkpoints" / "latest.json").is_file():
        return cfg, f"{run_dir} has no checkpoint yet: starting it from step 0 with its config.json"
    return cfg, None


def _train(a: argparse.Namespace, stop, where: dict) -> int:
    from genlab.config import load_toml, run_config
    from genlab.data import load_data_from_config
    from genlab.fileio import check_output_dir
    from genlab.runs import new_run_dir, run_name
    from genlab.train.trainer import Trainer

    data = {k: v for k, v in (("name", a.data), ("data_dir", a.data_dir)) if v}
    train = {**budget_from_args(a), **{k: getattr(a, k) for k in ("seed", "device", "batch_size", "trackers")
                                        if getattr(a, k) is not None}}
    file = load_toml(a.config) if a.config else None
    cfg, run_dir, note = None, None, None
    if a.resume:
        run_dir = where["run"] = _find_run(a, file)
        if run_dir is None:
            note = f"no {a.family} run of this data under {a.out} to resume: starting a new one"
        else:
            cfg, note = _resumed_config(a, run_dir, budget_from_args(a))
    else:
        check_output_dir(Path(a.out), "--out")
    resume = cfg is not None and (run_dir / "checkpoints" / "latest.json").is_file()
    fresh = cfg is None
    if fresh:  # every key checked before the data is read; then the defaults for this kind of data
        sets = [*a.set, "model.conditional=true"] if a.conditional else a.set  # the flag wins over --set
        cfg = run_config(a.family, file=file, sets=sets, data=data, train=train)
    dataset = load_data_from_config(cfg.data)
    if fresh:
        cfg = run_config(a.family, file=file, sets=sets, data=data, train=train, data_info=dataset.info)
    if getattr(cfg.model, "conditional", False) and (dataset.train_labels is None or not dataset.num_classes):
        raise ConfigError(f"--conditional (model.conditional) needs data with class labels; '{dataset.name}' has none")
    if run_dir is None:
        run_dir = where["run"] = new_run_dir(a.out, run_name(a.family, cfg.data.name))
    trainer = Trainer(cfg, dataset, run_dir, resume=resume, progress=not a.quiet, stop=stop)
    main = trainer.dist.is_main
    if note and main:
        print(note)
    if trainer.finished:
        if main:
            print(f"{run_dir} is finished: its budget ({trainer.budget.describe()}) is used up; nothing to train "
                  f"(a larger --steps, --images or --budget continues it)")
        return 0
    result = trainer.fit()
    if main:
        print(f"trained {a.family} for {result.step} steps ({result.images_seen} images, {result.seconds:.1f} s) "
              f"-> {run_dir}")
        if result.diagnosis:
            print(result.diagnosis)
    return 0


def cmd_train(a: argparse.Namespace) -> int:
    from genlab.train.preempt import stop_on_signals

    where: dict = {}  # the run folder, once known, for the resume hint
    with stop_on_signals() as stop:
        try:
            return _train(a, stop, where)
        except Stopped as e:
            run = where.get("run")
            hint = (f"resume with: genlab train {a.family} --resume {run}" if run
                    else "run the same command with --resume to continue")
            raise Stopped(f"{e}; {hint}", e.exit_code) from None
