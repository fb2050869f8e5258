"""Benchmark 3: sampler efficiency of one trained DDPM run: FD (genlab's evaluator) against network
evaluations for DDPM ancestral, DDIM, DPM-Solver++(2M) and its reverse-SDE form SDE-DPM-Solver++(2M), with
seconds per image.

    python benchmarks/samplers.py [--run benchmarks/runs/ddpm-mnist] [--n 2000] [--ddpm-steps 1000]
                                  [--device cpu] [--out benchmarks/results]

The run is any DDPM run folder on MNIST (benchmark 1 leaves one under benchmarks/runs/ddpm-mnist). Every
sampler starts from the same seeded x_T for a given sample index. Target: DPM-Solver++ at 20 steps within
10% of the FD of DDPM ancestral sampling at its full 1000 steps, judged for each DPM-Solver++ variant. `--n`
and `--ddpm-steps` may be reduced for a quick run; the values used are written with the results.
Results: <out>/samplers.{json,md}.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from common import write_results
from scoring import Scorer, load_mnist, timed

RUNS = Path(__file__).resolve().parent / "runs"


def parse_steps(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(",") if s.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, default=RUNS / "ddpm-mnist", help="a trained DDPM run folder on MNIST")
    ap.add_argument("--n", type=int, default=2000, help="samples per sampler setting (default 2000)")
    ap.add_argument("--ddpm-steps", default="1000", help="DDPM ancestral step counts (default 1000)")
    ap.add_argument("--ddim-steps", default="10,20,50,100")
    ap.add_argument("--dpm-steps", default="10,20", help="DPM-Solver++(2M) step counts")
    ap.add_argument("--sde-dpm-steps", default="10,20", help="SDE-DPM-Solver++(2M) step counts")
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    a = ap.parse_args()
    from genlab.errors import ConfigError
    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    torch.set_flush_denormal(True)
    model, cfg, info, record = load_run(a.run, a.device)
    if cfg.family != "ddpm" or cfg.data.name != "mnist":
        raise ConfigError(f"{a.run}: a {cfg.family} run on {cfg.data.name}; this benchmark needs a ddpm run on mnist")
    data = load_mnist()
    scorer = Scorer(data, a.device)
    floor = scorer.floor(a.n, a.seed)
    settings = [("ddpm", s) for s in parse_steps(a.ddpm_steps)] + [("ddim", s) for s in parse_steps(a.ddim_steps)] \
        + [("dpm_solver", s) for s in parse_steps(a.dpm_steps)] \
        + [("sde_dpm_solver", s) for s in parse_steps(a.sde_dpm_steps)]
    results = []
    for sampler, steps in settings:
        x, sec = timed(generate, model, a.n, seed=a.seed, batch_size=a.batch_size, sampler=sampler, steps=steps)
        r = {"sampler": sampler, "steps": steps, "nfe": model.nfe(steps=steps), **scorer.score(x),
             "seconds_per_image": sec / a.n}
        results.append(r)
        ms = r["seconds_per_image"] * 1e3
        print(f"{sampler:14s} {steps:5d} steps  FD {r['fd']:.3f}  {ms:.2f} ms/img", flush=True)
    ref = max((r for r in results if r["sampler"] == "ddpm"), key=lambda r: r["steps"], default=None)
    target: dict = {"target": "FD(DPM-Solver++, 20 steps) <= 1.1 x FD(DDPM ancestral, 1000 steps)", "variants": {}}
    valid = ref is not None and ref["steps"] == 1000  # a shortened ancestral chain is no reference for the target
    for variant in ("dpm_solver", "sde_dpm_solver"):  # the ODE solver and its reverse-SDE form
        r20 = next((r for r in results if r["sampler"] == variant and r["steps"] == 20), None)
        if ref is not None and r20 is not None:
            target["variants"][variant] = {"reference_steps": ref["steps"], "ratio": r20["fd"] / ref["fd"],
                                           "met": r20["fd"] <= 1.1 * ref["fd"] if valid else None}
    names = {"ddpm": "DDPM ancestral", "ddim": "DDIM (eta=0)", "dpm_solver": "DPM-Solver++(2M)",
             "sde_dpm_solver": "SDE-DPM-Solver++(2M)"}
    rows = [[names[r["sampler"]], r["steps"], r["nfe"], r["fd"], r["precision"], r["recall"],
             r["seconds_per_image"]] for r in results]
    rows.append(["real-vs-real floor", "", "", floor["fd"], floor["precision"], floor["recall"], ""])
    notes = [f"run {a.run} ({record['step']} training steps, {record['images_seen']} images, "
             f"{record['elapsed_seconds']:.0f} s); {a.n} samples per setting on {a.device}, batch {a.batch_size}; "
             f"timestep spacing '{cfg.model.spacing}', x0 clipping {cfg.model.clip_x0}",
             "FD, precision, recall: genlab's evaluator features against the MNIST test split"]
    verdict = {True: "met", False: "not met", None: "not assessed: the reference is not 1000 steps"}
    for variant, v in target["variants"].items():
        notes.append(f"{names[variant]} 20 steps / DDPM {v['reference_steps']} steps FD = {v['ratio']:.3f} "
                     f"(target <= 1.10: {verdict[v['met']]})")
    args = {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()}
    path = write_results("samplers", {"args": args, "run": {"path": str(a.run), "step": record["step"],
                                                            "images_seen": record["images_seen"],
                                                            "config": cfg.to_json()},
                                      "results": results, "floor": floor, "evaluator": scorer.record,
                                      "target": target},
                         rows, ["sampler", "steps", "NFE", "FD", "precision", "recall", "s/img"], notes, a.out)
    print(f"-> {path}")


if __name__ == "__main__":
    main()
