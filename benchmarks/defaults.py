"""Benchmark 5: every family with the defaults a user gets (models/defaults.py, through the config layer), on
each built-in dataset, over several seeds, at the compare's budget: modes or classes covered, high-quality share,
FD, and the number of training steps each run made (wall-clock budgets depend on the machine's load).

    python benchmarks/defaults.py [--data ring8,grid25] [--families vae,gan,ddpm] [--seeds 3] [--budget 70s]
                                  [--device cpu] [--out benchmarks/results]

Each dataset runs through genlab.compare.run_compare (the exact code path of `genlab compare --data NAME
--seeds S`) into benchmarks/runs/defaults-<data> (started afresh unless --keep; with --keep a stopped benchmark
resumes), then reads every run's metrics.json (genlab's metric suite on --n-eval samples), config.json (the
profile applied) and metrics.jsonl (steps made). Marks (issue 15), met in at least 2 of 3 seeds: on ring8 and
grid25 the GAN covers all 8 modes / at least 20 of 25 with a high-quality share >= 0.5, the DDPM all modes with a
high-quality share >= 0.5, the VAE all modes; on labelled images, every family at least half the classes.
Results: <out>/defaults.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from common import write_results

BENCH = Path(__file__).resolve().parent
TARGETS = {  # (family, data) -> (least modes covered, least high-quality share); others: at least half
    ("gan", "ring8"): (8, 0.5), ("gan", "grid25"): (20, 0.5), ("ddpm", "ring8"): (8, 0.5),
    ("ddpm", "grid25"): (25, 0.5), ("vae", "ring8"): (8, 0.0), ("vae", "grid25"): (25, 0.0)}


def run_record(run: Path) -> dict:
    """One (family, seed) run's numbers from the files compare wrote."""
    m = json.loads((run / "metrics.json").read_text())
    cfg = json.loads((run / "config.json").read_text())
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    mc, fid = m.get("mode_collapse", {}), m.get("fidelity", {})
    covered = mc.get("modes_covered", mc.get("classes_covered"))
    total = mc.get("modes_total", mc.get("num_classes"))
    return {"profile": cfg.get("defaults"), "steps": max(r["step"] for r in rows),
            "train_seconds": m.get("cost", {}).get("train_seconds"), "covered": covered, "total": total,
            "what": "modes" if "modes_covered" in mc else "classes", "hq_share": mc.get("high_quality_share"),
            "fd": fid.get("fd"), "fd_se": fid.get("fd_se")}


def meets(family: str, data: str, r: dict) -> bool | None:
    """Whether one run meets its mark; None when its counts are missing."""
    if not isinstance(r["covered"], int | float) or not r["total"]:
        return None
    least, hq = TARGETS.get((family, data), (r["total"] / 2, 0.0))
    return r["covered"] >= least and (r["hq_share"] or 0.0) >= hq


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="ring8,grid25", help="comma-separated dataset names")
    p.add_argument("--families", default="vae,gan,ddpm")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--budget", default="70s", help="per run, wall clock (compare's default)")
    p.add_argument("--steps", type=int, help="a steps budget instead of --budget")
    p.add_argument("--n-eval", type=int, default=1000, help="samples per run for the metric suite (compare's default)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--runs", default=str(BENCH / "runs"), help="parent of the run folders")
    p.add_argument("--keep", action="store_true", help="keep finished runs (resume a stopped benchmark)")
    p.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    a = p.parse_args()

    from genlab.compare import CompareSpec, run_compare

    families = tuple(a.families.split(","))
    records: dict[str, dict[str, list[dict]]] = {}
    for data in a.data.split(","):
        out = Path(a.runs) / f"defaults-{data}"
        if out.exists() and not a.keep:
            shutil.rmtree(out)
        budget = {"steps": a.steps} if a.steps else {"budget": a.budget}
        run_compare(CompareSpec(data=data, families=families, seeds=a.seeds, out=out, device=a.device,
                                n_eval=a.n_eval, **budget))
        records[data] = {f: [run_record(out / "runs" / f"{f}-seed{s}") for s in range(a.seeds)] for f in families}

    header = ["data", "family", "profile", "seed", "steps", "covered", "high-quality share", "FD", "meets mark"]
    rows, summary = [], {}
    for data, fams in records.items():
        for family, runs in fams.items():
            ok = [meets(family, data, r) for r in runs]
            summary[f"{family}/{data}"] = {"seeds_meeting_mark": sum(bool(o) for o in ok), "seeds": len(runs)}
            for seed, (r, o) in enumerate(zip(runs, ok, strict=True)):
                covered = f"{r['covered']:.0f} of {r['total']:.0f} {r['what']}" if o is not None else "n/a"
                hq = r["hq_share"] if r["hq_share"] is not None else "n/a"
                fd = f"{r['fd']:.3g} ± {r['fd_se']:.2g}" if r["fd"] is not None and r["fd_se"] else "n/a"
                rows.append([data, family, r["profile"], seed, r["steps"], covered, hq, fd,
                             {True: "yes", False: "NO", None: "n/a"}[o]])
    notes = [f"budget per run: {f'{a.steps} steps' if a.steps else a.budget + ' wall clock'}; metrics on "
             f"{a.n_eval} samples; covered = modes (2-D mixtures, a sample within 3 std) or classes (the evaluator)",
             "marks: " + "; ".join(f"{f} on {d}: >= {m} modes, high-quality share >= {h}"
                                   for (f, d), (m, h) in TARGETS.items()) + "; otherwise at least half",
             "seeds meeting the mark: " + ", ".join(f"{k} {v['seeds_meeting_mark']}/{v['seeds']}"
                                                    for k, v in summary.items())]
    args = {k: v for k, v in vars(a).items()}
    md = write_results("defaults", {"args": args, "records": records, "summary": summary}, rows, header, notes,
                       Path(a.out) if a.out else None)
    print(md.read_text())


if __name__ == "__main__":
    main()
