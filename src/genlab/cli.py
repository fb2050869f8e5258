"""The `genlab` command: train, sample, evaluate, edit, compare, data, evaluator."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from genlab.errors import ConfigError, GenlabError

FAMILY_NAMES = ("vae", "gan", "ddpm", "ldm")


def _budget_args(p: argparse.ArgumentParser) -> None:
    b = p.add_mutually_exclusive_group()
    b.add_argument("--steps", type=int, help="budget: optimizer iterations")
    b.add_argument("--images", type=int, help="budget: training images seen")
    b.add_argument("--budget", help="budget: wall-clock time, e.g. 40s, 10m, 2h")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genlab", description="Train, sample, evaluate and compare VAEs, GANs, "
                                "diffusion and latent diffusion models on equal footing.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    t = sub.add_parser("train", help="train one model family", description="Train one model family into a "
                       "numbered run folder (config.json, metrics.jsonl, checkpoints/, samples/).")
    t.add_argument("family", choices=FAMILY_NAMES)
    t.add_argument("--data", help="dataset name (ring8, grid25, swissroll, moons, digits, mnist, fashion-mnist, "
                   "cifar10) or a path to an image folder or .npz/.npy file (default: digits)")
    t.add_argument("--data-dir", help="folder holding dataset files (default: $GENLAB_DATA)")
    t.add_argument("--config", help="TOML file with [data], [train] and [model] tables")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set train.lr=1e-3 --set model.latent_dim=16")
    _budget_args(t)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--out", default="runs", help="folder of run folders (default: runs)")
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    t.add_argument("--resume", nargs="?", const="latest", metavar="RUN",
                   help="continue a run: its folder, or the latest run of this family and data under --out")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("sample", help="draw samples from a trained run",
                       description="Save samples as 8-bit PNGs in a folder or one uint8 array in .npz "
                       "(2-D data: float coordinates in the data's own units).")
    s.add_argument("run", help="run folder")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--out", required=True, help="FILE.npz or a folder for PNGs")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--batch-size", type=int, default=256)
    s.add_argument("--device", default="auto")
    s.add_argument("--sampler", help="diffusion: ddpm, ddim, dpm_solver or sde_dpm_solver")
    s.add_argument("--sample-steps", "--steps", dest="sample_steps", type=int, help="diffusion: sampling steps")
    s.add_argument("--eta", type=float, help="diffusion (DDIM): stochasticity eta")
    s.add_argument("--truncation", type=float, help="GAN: truncation psi")
    s.add_argument("--temperature", type=float, help="VAE: prior temperature")

    e = sub.add_parser("evaluate", help="evaluate a run; writes metrics.json in the run folder")
    e.add_argument("run")
    e.add_argument("--n", type=int, default=2000, help="samples to draw (default 2000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device", default="auto")
    e.add_argument("--data-dir")
    e.add_argument("--inception-weights", help="local Inception-v3 weights for FID/KID via torch-fidelity")
    e.add_argument("--sampler")
    e.add_argument("--sample-steps", "--steps", dest="sample_steps", type=int)

    d = sub.add_parser("data", help="dataset utilities")
    dsub = d.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    dl = dsub.add_parser("download", help="download MNIST / Fashion-MNIST and verify checksums")
    dl.add_argument("name", choices=("mnist", "fashion-mnist"))
    dl.add_argument("--dest", help="target folder (default: $GENLAB_DATA or ./data)")
    di = dsub.add_parser("info", help="load a dataset and describe it")
    di.add_argument("name")
    di.add_argument("--data-dir")

    ev = sub.add_parser("evaluator", help="the evaluator classifier behind feature-space metrics")
    evsub = ev.add_subparsers(dest="evaluator_command", required=True, metavar="ACTION")
    et = evsub.add_parser("train", help="train (or load from cache) the evaluator for a labelled dataset")
    et.add_argument("data")
    et.add_argument("--data-dir")
    et.add_argument("--device", default="auto")

    from genlab.compare import add_compare_parser
    from genlab.edit.cli import add_edit_parser

    add_edit_parser(sub)
    add_compare_parser(sub)
    return p


# ---- commands ---------------------------------------------------------------------------------------
def load_data_from_config(cfg):
    from genlab.data import load_dataset

    opts = {k: v for k, v in (("image_size", cfg.data.image_size), ("channels", cfg.data.channels)) if v}
    return load_dataset(cfg.data.name, data_dir=cfg.data.data_dir, **opts)


def cmd_train(a: argparse.Namespace) -> int:
    from genlab.config import build_config, load_toml, parse_set, update_dataclass
    from genlab.models.registry import get_family
    from genlab.runs import latest_run_dir, new_run_dir, read_run_config, run_name
    from genlab.train.trainer import Trainer

    cli: dict = {"data": {}, "train": {}}
    if a.data:
        cli["data"]["name"] = a.data
    if a.data_dir:
        cli["data"]["data_dir"] = a.data_dir
    for k in ("steps", "images", "budget", "seed", "device", "batch_size"):
        if getattr(a, k) is not None:
            cli["train"][k] = getattr(a, k)
    model_cls, cfg_cls = get_family(a.family)
    file = load_toml(a.config) if a.config else None
    if file and file.get("family", a.family) != a.family:
        raise ConfigError(f"{a.config}: is a config for '{file['family']}', not '{a.family}'")
    sets = parse_set(a.set)
    if a.resume:
        data_name = cli["data"].get("name") or (file or {}).get("data", {}).get("name", "digits")
        run_dir = latest_run_dir(a.out, run_name(a.family, data_name)) if a.resume == "latest" \
            else Path(a.resume)
        if run_dir is None or not (run_dir / "config.json").is_file():
            raise ConfigError(f"--resume: no run to resume ({run_dir or a.out + '/*-' + a.family})")
        cfg = read_run_config(run_dir)
        budget = {k: v for k, v in cli["train"].items() if k in ("steps", "images", "budget")}
        if budget:  # a resumed run may be given a new (larger) budget, nothing else
            cleared = {"steps": None, "images": None, "budget": None}
            cfg.train = update_dataclass(update_dataclass(cfg.train, cleared, "train"), budget, "train")
        if cfg.family != a.family:
            raise ConfigError(f"--resume: {run_dir} is a {cfg.family} run, not {a.family}")
    else:
        cfg = build_config(a.family, model_cls, cfg_cls, file=file, sets=sets, cli=cli)
    data = load_data_from_config(cfg)
    if not a.resume:
        run_dir = new_run_dir(a.out, run_name(a.family, cfg.data.name))
    trainer = Trainer(cfg, data, run_dir, resume=bool(a.resume), progress=not a.quiet)
    result = trainer.fit()
    if trainer.dist.is_main:
        from genlab.artifacts import save_run_artifacts

        save_run_artifacts(trainer.ema, data, run_dir, seed=cfg.train.seed)
        print(f"trained {a.family} for {result.step} steps ({result.images_seen} images, {result.seconds:.1f} s) "
              f"-> {run_dir}")
    return 0


def sample_options_from_args(model, a: argparse.Namespace) -> dict:
    """Map CLI flags to the family's own sampling options; a flag the family lacks is an error."""
    from genlab.sampling import check_sample_options

    return check_sample_options(model, {"sampler": a.sampler, "steps": a.sample_steps, "eta": getattr(a, "eta", None),
                                        "truncation": getattr(a, "truncation", None),
                                        "temperature": getattr(a, "temperature", None)})


def cmd_sample(a: argparse.Namespace) -> int:
    from genlab.device import resolve_device
    from genlab.runs import load_run
    from genlab.sampling import generate, save_samples

    if a.n <= 0:
        raise ConfigError("--n must be positive")
    device = resolve_device(a.device)
    model, cfg, info, _ = load_run(a.run, device)
    opts = sample_options_from_args(model, a)
    x = generate(model, a.n, seed=a.seed, batch_size=a.batch_size, progress=True, **opts)
    out = save_samples(x, Path(a.out), info)
    print(f"{a.n} samples -> {out}")
    return 0


def cmd_evaluate(a: argparse.Namespace) -> int:
    from genlab.evaluate import evaluate_run

    out = evaluate_run(a.run, n_samples=a.n, seed=a.seed, device=a.device, data_dir=a.data_dir,
                       inception_weights=a.inception_weights, sampler=a.sampler, sample_steps=a.sample_steps)
    print(f"metrics -> {out}")
    return 0


def cmd_data(a: argparse.Namespace) -> int:
    import os

    if a.data_command == "download":
        from genlab.data.download import download

        dest = Path(a.dest or os.environ.get("GENLAB_DATA") or "data")
        path = download(a.name, dest)
        print(f"{a.name} -> {path} (checksums verified)")
        return 0
    from genlab.data import load_dataset

    ds = load_dataset(a.name, data_dir=a.data_dir)
    print(json.dumps({**ds.info.to_json(), "n_train": len(ds.train), "n_test": len(ds.test)}, indent=1))
    return 0


def cmd_evaluator(a: argparse.Namespace) -> int:
    from genlab.data import dataset_fingerprint, load_dataset
    from genlab.device import resolve_device
    from genlab.metrics.evaluator import load_or_train_evaluator

    ds = load_dataset(a.data, data_dir=a.data_dir)
    ev = load_or_train_evaluator(ds, dataset_fingerprint(ds), resolve_device(a.device), progress=True)
    print(f"evaluator for {ds.name}: test accuracy {ev.test_accuracy:.4f}, weights sha256 {ev.sha256[:16]}...")
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "evaluate": cmd_evaluate, "data": cmd_data,
            "evaluator": cmd_evaluator}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    import torch

    torch.set_flush_denormal(True)  # subnormal floats slow CPU kernels 20-50x; flushing them costs nothing
    try:
        if a.command in COMMANDS:
            return COMMANDS[a.command](a)
        return a.func(a)
    except GenlabError as e:
        print(f"genlab: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("genlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
