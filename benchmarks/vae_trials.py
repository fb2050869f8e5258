"""Benchmark 6 (issue 23): what holds the 28x28 VAE back, one trial per setting, on the path users run.

    python benchmarks/vae_trials.py [--budget 600s] [--n 2000] [--trials NAME,...] [--out benchmarks/results]

Each trial is `genlab train vae --data mnist --budget B` with the trial's `--set` values (the defaults a user gets,
plus one change), then 2,000 prior samples (`genlab sample`'s generate, seed 0) scored as `genlab score` scores
them in every calibrated feature space (FD with its 95% interval), beside the pythae peers of benchmark 4 from
results/families.json (same machine, same protocol) and the verdict per pair by the report's rule. Records the
steps made, training images/s, the last logged KL and reconstruction (nats), and a 64-sample grid per trial.
Trials run one after another (never two trainings at once on the 2 cores). Results: <out>/vae_trials.{json,md},
grids <out>/vae_trials/<name>.png; run folders stay in benchmarks/runs/vae_trials/<name>.
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
RUNS = BENCH / "runs" / "vae_trials"

# name -> the --set values of the trial (empty: the defaults `genlab train vae --data mnist` gives)
TRIALS: dict[str, list[str]] = {
    "default": [],
    "gaussian-learned": ["model.likelihood=gaussian_learned"],
    "gaussian-0.5": ["model.likelihood=gaussian", "model.sigma=0.5"],
    "gaussian-0.25": ["model.likelihood=gaussian", "model.sigma=0.25"],
    "continuous-bernoulli": ["model.likelihood=continuous_bernoulli"],
    "kl-warmup-1000": ["model.kl_warmup_steps=1000"],
    "latent-8": ["model.latent_dim=8"],
    "latent-32": ["model.latent_dim=32"],
    "lr-2e-3": ["train.lr=2e-3"],
}


def last_train_line(run: Path) -> dict:
    """The last metrics.jsonl line with a training loss (steps, KL, reconstruction, time, images seen)."""
    lines = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines() if s.strip()]
    return [r for r in lines if "loss" in r][-1]


def run_trial(name: str, sets: list[str], budget: str, seed: int, extra: list[str], keep: bool) -> Path:
    """Train one trial through the CLI into RUNS/<name>/<run folder>; returns the run folder (with keep: the
    trial's latest finished run, if it has one, is scored again without training)."""
    out = RUNS / name
    done = sorted(p for p in out.glob("*") if (p / "config.json").exists() and (p / "metrics.jsonl").exists())
    if keep and done:
        return done[-1]
    cmd = [sys.executable, "-m", "genlab.cli", "train", "vae", "--data", "mnist", "--data-dir", str(MNIST_DIR),
           "--budget", budget, "--seed", str(seed), "--out", str(out), "--quiet", "--device", "cpu"]
    for s in sets + extra:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    return sorted(p for p in out.iterdir() if (p / "config.json").exists())[-1]


def peers(out: Path) -> dict[str, dict]:
    """The pythae rows of benchmark 4 (results/families.json): name -> per-space FD rows."""
    path = out / "families.json"
    if not path.exists():
        return {}
    fam = json.loads(path.read_text())["results"]
    return {name: r["spaces"] for name, r in fam.items() if "pythae" in name and r.get("spaces")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", default="600s")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trials", default=",".join(TRIALS))
    ap.add_argument("--set", action="append", default=[], help="applied to every trial (after the trial's own)")
    ap.add_argument("--name", default="vae_trials", help="result file stem")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--keep", action="store_true", help="score each trial's latest run again instead of training")
    a = ap.parse_args()
    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    names = a.trials.split(",")
    unknown = [t for t in names if t not in TRIALS]
    if unknown:
        ap.error(f"unknown trials {unknown}; choose from {', '.join(TRIALS)}")
    scorer = Scorer(load_mnist())
    peer_rows = peers(a.out)
    results, rows = {}, []
    for name in names:
        run = run_trial(name, TRIALS[name], a.budget, a.seed, a.set, a.keep)
        model, cfg, _, _ = load_run(run, "cpu")
        x = generate(model, a.n, seed=0, batch_size=500)
        spaces = space_rows(scorer.score_all_spaces(x, seed=0))
        line = last_train_line(run)
        grid = save_grid(x, a.out / "vae_trials" / f"{name}.png", f"genlab vae, trial {name}, {a.budget}")
        verdicts = {p: fd_verdict(spaces, ps)[0] for p, ps in peer_rows.items()}
        results[name] = {"sets": TRIALS[name] + a.set, "run": str(run), "steps": line["step"],
                         "train_images_per_s": line["images_seen"] / line["time"], "kl": line["kl"],
                         "recon": line["recon"], "likelihood": model.likelihood_name, "spaces": spaces,
                         "vs_peers": verdicts, "grid": str(grid)}
        fds = [f"{s['fd']:.3g} ± {1.96 * s.get('fd_se', 0):.2g}" for s in spaces.values()]
        rows.append([name, " ".join(TRIALS[name] + a.set) or "(defaults)", line["step"],
                     round(results[name]["train_images_per_s"]), round(line["kl"], 1), round(line["recon"], 1),
                     *fds, "; ".join(f"{p}: {'genlab' if v == 'a' else 'peer' if v == 'b' else v}"
                                     for p, v in verdicts.items())])
        print(rows[-1], flush=True)
        spaces_header = list(spaces)
        write_results(a.name, {"budget": a.budget, "n": a.n, "seed": a.seed, "results": results,
                               "peers": peer_rows, "evaluator": scorer.record}, rows,
                      ["trial", "--set", "steps", "train img/s", "KL (nats)", "recon (nats)",
                       *[f"FD ({s})" for s in spaces_header], "vs pythae (report's rule)"],
                      [f"MNIST, `genlab train vae --budget {a.budget}` per trial, {a.n} prior samples scored as "
                       "`genlab score` scores them (FD ± 95% interval) in every calibrated space",
                       "peers: results/families.json (benchmark 4, same protocol); 'genlab' / 'peer' only when "
                       "the intervals separate in every calibrated space"], a.out)


if __name__ == "__main__":
    main()
