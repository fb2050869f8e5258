"""Benchmark 6 (issues 23 and 21): one trial per setting of a family's defaults, on the path users run.

    python benchmarks/trials.py --family vae|ddpm [--budget 600s] [--n 2000] [--trials NAME,...] [--out DIR]

Each trial is `genlab train FAMILY --data mnist --budget B` with the trial's `--set` values (the defaults a user
gets, plus one change), then 2,000 samples with the model's own default sampler (`genlab sample`'s generate, seed 0)
scored as `genlab score` scores them in every calibrated feature space (FD with its 95% interval), beside the
genlab and peer rows of benchmark 4 from results/families.json (same machine, same protocol) and the verdict per
pair by the report's rule. Records the steps made, training images/s, the last logged loss terms and a 64-sample
grid per trial. Trials run one after another (never two trainings at once on the 2 cores). Results:
<out>/<family>_trials.{json,md}, grids <out>/<family>_trials/<name>.png; run folders stay in
benchmarks/runs/<family>_trials/<name>. Issue 23 asks the VAE trials for the pythae gap; issue 21 asks the DDPM
trials (formulation, weighting, target, schedule, EMA) for the defaults at the compare's budget and at 600 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import MNIST_DIR, RESULTS, write_results
from scoring import Scorer, fd_verdict, load_mnist, save_grid, space_rows

BENCH = Path(__file__).resolve().parent

# family -> trial name -> the --set values of the trial (empty: the defaults `genlab train FAMILY --data mnist` gives)
TRIALS: dict[str, dict[str, list[str]]] = {"vae": {
    "default": [],
    "upsample-nearest": ["model.upsample=nearest"],
    "mixture-prior": ["model.prior=mixture"],
    "mixture-prior-nearest": ["model.prior=mixture", "model.upsample=nearest"],
    "normal-prior": ["model.prior=normal"],
    "gaussian-learned": ["model.likelihood=gaussian_learned"],
    "gaussian-0.5": ["model.likelihood=gaussian", "model.sigma=0.5"],
    "gaussian-0.25": ["model.likelihood=gaussian", "model.sigma=0.25"],
    "continuous-bernoulli": ["model.likelihood=continuous_bernoulli"],
    "kl-warmup-1000": ["model.kl_warmup_steps=1000"],
    "latent-8": ["model.latent_dim=8"],
    "latent-32": ["model.latent_dim=32"],
    "lr-2e-3": ["train.lr=2e-3"],
}, "ddpm": {
    "default": [],
    "edm": ["model.formulation=edm"],
    "edm-heun": ["model.formulation=edm", "model.sampler=heun", "model.steps=18"],
    "min-snr-5": ["model.min_snr_gamma=5"],
    "v-prediction": ["model.prediction=v"],
    "v-min-snr-5": ["model.prediction=v", "model.min_snr_gamma=5"],
    "cosine": ["model.schedule=cosine"],
    "ema-0.9995": ["train.ema_decay=0.9995"],
    "lr-2e-3": ["train.lr=2e-3"],
    "cosine-lr": ["train.lr_schedule=cosine"],
    "cosine-lr-2e-3": ["train.lr_schedule=cosine", "train.lr=2e-3"],
    "linear-lr-2e-3": ["train.lr_schedule=linear", "train.lr=2e-3"],
    "cosine-lr-2e-3-warmup-20": ["train.lr_schedule=cosine", "train.lr=2e-3", "train.warmup_steps=20"],
    "warmup-20": ["train.warmup_steps=20"],
    "lr-2e-3-warmup-20": ["train.lr=2e-3", "train.warmup_steps=20"],
    "batch-64": ["train.batch_size=64"],
    "batch-32": ["train.batch_size=32"],
    "batch-32-warmup-20": ["train.batch_size=32", "train.warmup_steps=20"],
    "batch-64-warmup-20": ["train.batch_size=64", "train.warmup_steps=20"],
    "channels-8": ["model.channels=8"],  # U-Net width (28x28 default: 12, mults 1,2,4,7, one block per level)
    "channels-16": ["model.channels=16"],
    "blocks-2": ["model.blocks_per_level=2"],
}}


def last_train_line(run: Path) -> dict:
    """The last metrics.jsonl line with a training loss (steps, KL, reconstruction, time, images seen)."""
    lines = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines() if s.strip()]
    return [r for r in lines if "loss" in r][-1]


def run_trial(family: str, name: str, sets: list[str], budget: str, seed: int, extra: list[str], keep: bool) -> Path:
    """Train one trial through the CLI into runs/<family>_trials/<name>/<run folder>; returns the run folder (with
    keep: the trial's latest finished run, if it has one, is scored again without training)."""
    out = BENCH / "runs" / f"{family}_trials" / name
    done = sorted(p for p in out.glob("*") if (p / "config.json").exists() and (p / "metrics.jsonl").exists())
    if keep and done:
        return done[-1]
    cmd = [sys.executable, "-m", "genlab.cli", "train", family, "--data", "mnist", "--data-dir", str(MNIST_DIR),
           *(["--steps", budget[:-5]] if budget.endswith("steps") else ["--budget", budget]),
           "--seed", str(seed), "--out", str(out), "--quiet", "--device", "cpu"]
    for s in sets + extra:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    return sorted(p for p in out.iterdir() if (p / "config.json").exists())[-1]


def peers(out: Path, family: str) -> dict[str, dict]:
    """Benchmark 4's rows to hold a trial against (results/families.json): the VAE's pythae peers, or the DDPM's own
    row at the time (its improvement is the question); name -> per-space FD rows."""
    path = out / "families.json"
    if not path.exists():
        return {}
    fam = json.loads(path.read_text())["results"]
    wanted = "pythae" if family == "vae" else f"genlab {family}"
    return {name: r["spaces"] for name, r in fam.items() if wanted in name and r.get("spaces")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", choices=sorted(TRIALS), default="vae")
    ap.add_argument("--budget", default="600s", help="wall clock (600s, 10m) or a step count (300steps): equal "
                    "steps compare settings per step on a machine whose speed drifts")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trials", help="comma-separated trial names (default: every trial of the family)")
    ap.add_argument("--set", action="append", default=[], help="applied to every trial (after the trial's own)")
    ap.add_argument("--name", help="result file stem (default: <family>_trials)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--keep", action="store_true", help="score each trial's latest run again instead of training")
    a = ap.parse_args()
    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    trials = TRIALS[a.family]
    a.name = a.name or f"{a.family}_trials"
    names = a.trials.split(",") if a.trials else list(trials)
    unknown = [t for t in names if t not in trials]
    if unknown:
        ap.error(f"unknown trials {unknown}; choose from {', '.join(trials)}")
    scorer = Scorer(load_mnist())
    peer_rows = peers(a.out, a.family)
    results, rows = {}, []
    for name in names:
        run = run_trial(a.family, name, trials[name], a.budget, a.seed, a.set, a.keep)
        model, cfg, _, _ = load_run(run, "cpu")
        x = generate(model, a.n, seed=0, batch_size=500)
        spaces = space_rows(scorer.score_all_spaces(x, seed=0))
        line = last_train_line(run)
        grid = save_grid(x, a.out / a.name / f"{name}.png", f"genlab {a.family}, trial {name}, {a.budget}")
        verdicts = {p: fd_verdict(spaces, ps)[0] for p, ps in peer_rows.items()}
        terms = {k: v for k, v in line.items() if k in ("loss", "kl", "recon", "mse")}
        results[name] = {"sets": trials[name] + a.set, "run": str(run), "steps": line["step"],
                         "train_images_per_s": line["images_seen"] / line["time"], "terms": terms,
                         "spaces": spaces, "vs_peers": verdicts, "grid": str(grid)}
        fds = [f"{s['fd']:.3g} ± {1.96 * s.get('fd_se', 0):.2g}" for s in spaces.values()]
        rows.append([name, " ".join(trials[name] + a.set) or "(defaults)", line["step"],
                     round(results[name]["train_images_per_s"]), ", ".join(f"{k} {v:.4g}" for k, v in terms.items()),
                     *fds, "; ".join(f"{p}: {'genlab' if v == 'a' else 'peer' if v == 'b' else v}"
                                     for p, v in verdicts.items())])
        print(rows[-1], flush=True)
        spaces_header = list(spaces)
        write_results(a.name, {"family": a.family, "budget": a.budget, "n": a.n, "seed": a.seed, "results": results,
                               "peers": peer_rows, "evaluator": scorer.record}, rows,
                      ["trial", "--set", "steps", "train img/s", "last loss terms",
                       *[f"FD ({s})" for s in spaces_header], "vs benchmark 4 (report's rule)"],
                      [f"MNIST, `genlab train {a.family} --budget {a.budget}` per trial, {a.n} samples scored as "
                       "`genlab score` scores them (FD ± 95% interval) in every calibrated space",
                       "rows held against: results/families.json (benchmark 4, same protocol); 'genlab' (this trial) "
                       "/ 'peer' only when the intervals separate in every calibrated space"], a.out)


if __name__ == "__main__":
    main()
