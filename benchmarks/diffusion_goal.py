"""Benchmark 9 (issue 21): the 600 s MNIST goal on the path users run. `genlab train ddpm --data mnist --budget 600s`
with the defaults as they are, sampled by its default sampler (and by DDIM-50), against the earlier defaults and
against diffusers' reference trained the same day on the same machine (benchmark 1's plain loop: UNet2DModel +
DDPMScheduler, DDIM-50).

    python benchmarks/diffusion_goal.py [--budget 600s] [--n 2000] [--ref-n 1000] [--run RUN] [--before JSON]

Every model is scored as `genlab score` scores it, in every calibrated feature space (FD with its 95% interval).
The goal: in every calibrated space genlab's FD at most half the earlier defaults' (`--before`: a trials.py row
trained the same day; by default benchmark 4's row in results/families.json), and in none worse (intervals
separated, the report's rule). The ratio to diffusers' FD is reported per space. The DDIM-50 rows (diffusers'
and genlab's) draw `--ref-n` samples (diffusers' DDIM-50 costs several times genlab's default sampler per
image); FD's small-sample bias makes their figures, if anything, a little high. Results:
<out>/diffusion_goal.{json,md}, grids <out>/diffusion_goal-*.png.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import torch
from common import MNIST_DIR, RESULTS, write_results
from scoring import Scorer, fd_verdict, load_mnist, save_grid, space_rows, timed

BENCH = Path(__file__).resolve().parent


def train_genlab(budget: str, seed: int) -> Path:
    """`genlab train ddpm --data mnist --budget B` through the CLI (the defaults a user gets); the run folder."""
    out = BENCH / "runs" / "diffusion_goal"
    cmd = [sys.executable, "-m", "genlab.cli", "train", "ddpm", "--data", "mnist", "--data-dir", str(MNIST_DIR),
           "--budget", budget, "--seed", str(seed), "--out", str(out), "--quiet", "--device", "cpu"]
    subprocess.run(cmd, check=True)
    return sorted(p for p in out.iterdir() if (p / "config.json").exists())[-1]


def cell(s: dict) -> str:
    return f"{s['fd']:.3g} ± {1.96 * s.get('fd_se', 0.0):.2g}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", default="600s")
    ap.add_argument("--n", type=int, default=2000, help="genlab samples per sampler")
    ap.add_argument("--ref-n", type=int, default=1000, help="DDIM-50 samples (diffusers' and genlab's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--run", type=Path, help="score this genlab run instead of training one")
    ap.add_argument("--skip-reference", action="store_true", help="no diffusers row (no ratio)")
    ap.add_argument("--before", type=Path, help="trials.py result JSON of the earlier defaults (default: "
                    "benchmark 4's DDPM row in results/families.json)")
    ap.add_argument("--before-trial", default="default", help="the trial of --before to hold against")
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    torch.set_flush_denormal(True)
    from diffusion_quality import matched_width, sample_diffusers, train_diffusers

    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    data = load_mnist()
    scorer = Scorer(data)
    run = a.run or train_genlab(a.budget, a.seed)
    model, cfg, _, _ = load_run(run, "cpu")
    line = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines() if '"loss"' in s][-1]
    results, samples = {}, {}
    opts = model.sample_options()
    for name, n, kw in ((f"genlab DDPM, default sampler ({opts['sampler']}, {opts['steps']} steps)", a.n, {}),
                        ("genlab DDPM, DDIM-50", a.ref_n, {"sampler": "ddim", "steps": 50})):
        timing = {}
        x = generate(model, n, seed=0, batch_size=256, timing=timing, **kw)
        samples[name] = x
        results[name] = {"spaces": space_rows(scorer.score_all_spaces(x, seed=0)), "steps": line["step"],
                         "train_images_per_s": line["images_seen"] / line["time"], "n": n,
                         "sample_images_per_s": timing["samples_per_second"], "run": str(run)}
        print(name, {k: cell(s) for k, s in results[name]["spaces"].items()}, flush=True)
    if not a.skip_reference:
        params = sum(p.numel() for p in model.net.parameters())
        width = matched_width(params, 28)
        ra = SimpleNamespace(seed=a.seed, budget=a.budget, channels_last="auto", ref_lr=2e-4)
        net, scheduler, rec = train_diffusers(ra, data, "cpu", width)
        x, sec = timed(sample_diffusers, net, scheduler, (1, 28, 28), a.ref_n, 50, a.seed, "cpu")
        name = "diffusers UNet2DModel, DDIM-50"
        samples[name] = x
        results[name] = {"spaces": space_rows(scorer.score_all_spaces(x, seed=0)), "steps": rec["steps"],
                         "train_images_per_s": rec["train_images_per_s"], "n": a.ref_n,
                         "sample_images_per_s": a.ref_n / sec, "params": rec["params"]}
        print(name, {k: cell(s) for k, s in results[name]["spaces"].items()}, flush=True)
    if a.before:  # a trials.py result of the earlier defaults, trained the same day on the same machine
        earlier = json.loads(a.before.read_text())
        row = earlier["results"][a.before_trial]
        before = {"spaces": row["spaces"], "date": earlier["machine"]["date"], "steps": row["steps"],
                  "commit": earlier["machine"]["genlab_commit"], "source": str(a.before)}
    else:
        earlier = json.loads((a.out / "families.json").read_text())
        before = {"spaces": earlier["results"]["genlab ddpm"]["spaces"], "date": earlier["machine"]["date"],
                  "commit": earlier["machine"]["genlab_commit"], "source": "families.json (benchmark 4)",
                  "steps": earlier["results"]["genlab ddpm"].get("train_steps")}
    default = next(iter(results))
    new = results[default]["spaces"]
    ratios = {k: new[k]["fd"] / before["spaces"][k]["fd"] for k in new if k in before["spaces"]}
    verdict, per_space = fd_verdict(new, before["spaces"])
    worse = [k for k, v in per_space.items() if v == "b"]
    met = all(ratios[k] <= 0.5 for k in per_space) and not worse
    ref = results.get("diffusers UNet2DModel, DDIM-50")
    vs_ref = {k: new[k]["fd"] / ref["spaces"][k]["fd"] for k in new if ref and k in ref["spaces"]}
    spaces = list(new)
    rows = [[name, r["steps"], round(r["train_images_per_s"], 1), r["n"], round(r["sample_images_per_s"], 2),
             *[cell(r["spaces"][k]) if k in r["spaces"] else "" for k in spaces]] for name, r in results.items()]
    rows.append([f"earlier genlab DDPM defaults ({before['date'][:16]}, genlab {before['commit']}, "
                 f"{before['source']})", before.get("steps", ""), "", 2000, "",
                 *[cell(before["spaces"][k]) for k in spaces]])
    grids = [str(save_grid(x, a.out / f"diffusion_goal-{i}.png", f"{name}, {a.budget}"))
             for i, (name, x) in enumerate(samples.items())]
    notes = [f"MNIST, {a.budget} of CPU training each; genlab: `genlab train ddpm --data mnist --budget {a.budget}` "
             f"({cfg.model.formulation if hasattr(cfg.model, 'formulation') else 'ddpm'} formulation), run {run}",
             "FD ± 95% interval in each calibrated space, samples scored as `genlab score` scores them",
             "goal: genlab (default sampler) / earlier FD <= 0.5 in every calibrated space, worse in none: "
             + ", ".join(f"{k} {v:.3f}" for k, v in ratios.items()) + f" -> {'met' if met else 'not met'}"
             + f" (per space by the report's rule: {per_space})",
             "genlab (default sampler) / diffusers (DDIM-50) FD, same day, same machine: "
             + (", ".join(f"{k} {v:.3g}" for k, v in vs_ref.items()) if vs_ref else "not run"),
             f"grids: {', '.join(grids)}"]
    write_results("diffusion_goal", {"budget": a.budget, "results": results, "earlier": before, "ratios": ratios,
                                     "per_space": per_space, "goal_met": met, "vs_diffusers": vs_ref,
                                     "evaluator": scorer.record}, rows,
                  ["model", "train steps", "train img/s", "samples", "sample img/s", *[f"FD ({k})" for k in spaces]],
                  notes, a.out)


if __name__ == "__main__":
    main()
