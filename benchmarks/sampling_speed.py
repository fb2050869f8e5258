"""Benchmark 8 (issue 21): images per second of the path `genlab sample` runs, DDIM-50 and the default sampler, for
a trained 28x28 DDPM, against an earlier genlab on the same machine the same day, and whether the samples match.

    python benchmarks/sampling_speed.py --run RUN [--baseline REF] [--n 512] [--batch-sizes 128,256]

Each source (this checkout, and REF checked out into a temporary git worktree) runs in its own subprocess that
imports that source's genlab, loads RUN (its EMA weights, as `genlab sample` does) and calls `generate`, the
function behind `genlab sample`, for each sampler and batch size: images per second over the batches after the
first (a warm-up). The parent compares the samples bit for bit: across batch sizes within a source (image k
keyed by its own seed must not depend on the batch) and between the sources, with the largest difference and
the share of 8-bit pixel values that differ where they are not identical. The two sources run one after
another, never at once. Results: <out>/sampling_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import RESULTS, write_results

BENCH = Path(__file__).resolve().parent
SETTINGS = {"DDIM-50": {"sampler": "ddim", "steps": 50}, "default": {}}


def worker(a) -> None:
    """In the subprocess: time generate() with the genlab found under a.src, save samples as .npy files."""
    sys.path.insert(0, str(Path(a.src) / "src"))
    import time

    import torch

    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    torch.set_flush_denormal(True)  # as the trainer and the CLI leave it
    model = load_run(a.run, "cpu")[0]
    out, rec = Path(a.worker), {}
    for name, opts in SETTINGS.items():
        for bs in [int(b) for b in a.batch_sizes.split(",")]:
            timing, t0 = {}, time.perf_counter()
            x = generate(model, a.n, seed=0, batch_size=bs, timing=timing, **opts)
            rec[f"{name}@{bs}"] = {"images_per_s": timing["samples_per_second"], "wall_s": time.perf_counter() - t0,
                                  "options": model._options(dict(opts)) if hasattr(model, "_options") else opts}
            np.save(out / f"{name}@{bs}.npy", x.numpy())
            print(f"{a.label} {name} batch {bs}: {timing['samples_per_second']:.2f} img/s", flush=True)
    (out / "record.json").write_text(json.dumps(rec, default=str))


def run_source(label: str, src: Path, a, tmp: Path) -> tuple[dict, Path]:
    folder = tmp / label
    folder.mkdir()
    cmd = [sys.executable, __file__, "--worker", str(folder), "--src", str(src), "--run", str(a.run), "--n",
           str(a.n), "--batch-sizes", a.batch_sizes, "--label", label]
    subprocess.run(cmd, check=True)
    return json.loads((folder / "record.json").read_text()), folder


def compare(x: np.ndarray, y: np.ndarray) -> dict:
    """Bit-identical, else the largest difference and the share of 8-bit values ([-1, 1] -> 0..255) that differ."""
    if np.array_equal(x, y):
        return {"identical": True}
    q = lambda v: np.round((np.clip(v, -1, 1) + 1) * 127.5)  # noqa: E731
    return {"identical": False, "max_abs_diff": float(np.abs(x - y).max()),
            "uint8_values_differing": float((q(x) != q(y)).mean())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, help="a trained 28x28 DDPM run folder (genlab train ddpm --data mnist)")
    ap.add_argument("--baseline", default=None, help="git ref of the genlab to compare against (default: none)")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--batch-sizes", default="128,256")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--src", help=argparse.SUPPRESS)
    ap.add_argument("--label", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)
    if a.run is None:
        ap.error("--run is required")
    repo = BENCH.parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sources = {"this checkout": repo}
        if a.baseline:
            wt = tmp / "baseline-src"
            subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(wt), a.baseline], check=True,
                           capture_output=True)
            sources = {f"baseline {a.baseline}": wt, **sources}
        try:
            runs = {label: run_source(f"s{i}", src, a, tmp) for i, (label, src) in enumerate(sources.items())}
        finally:
            if a.baseline:
                subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(wt)], check=False)
        load = lambda label, key: np.load(runs[label][1] / f"{key}.npy")  # noqa: E731
        keys = list(next(iter(runs.values()))[0])
        bss = a.batch_sizes.split(",")
        results, rows = {}, []
        for label, (rec, _) in runs.items():
            for key in keys:
                setting = key.split("@")[0]
                same_batches = compare(load(label, f"{setting}@{bss[0]}"), load(label, key))
                results.setdefault(label, {})[key] = {**rec[key], "vs_first_batch_size": same_batches}
        new = "this checkout"
        base = next((label for label in runs if label != new), None)
        for key in keys:
            r = results[new][key]
            row = [key.split("@")[0], key.split("@")[1], round(r["images_per_s"], 2),
                   "yes" if r["vs_first_batch_size"]["identical"] else "no"]
            if base:
                b = results[base][key]
                vs = compare(load(base, key), load(new, key))
                r["vs_baseline"] = {**vs, "speedup": r["images_per_s"] / b["images_per_s"]}
                row += [round(b["images_per_s"], 2), round(r["images_per_s"] / b["images_per_s"], 3),
                        "yes" if vs["identical"] else
                        f"no (max |diff| {vs['max_abs_diff']:.2g}, {100 * vs['uint8_values_differing']:.3g}% of "
                        "8-bit values)"]
            rows.append(row)
    header = ["sampler", "batch", "img/s", "same samples at every batch size"]
    if base:
        header += [f"img/s {base}", "speed-up", "samples identical to the baseline"]
    notes = [f"run {a.run}; {a.n} samples per setting (seed 0) through generate(), the function `genlab sample` "
             "calls; img/s over the batches after the first; the sources ran one after another in subprocesses",
             "default: the run's own sampler and steps (`genlab sample` without options)"]
    write_results("sampling_speed", {"run": str(a.run), "n": a.n, "baseline": a.baseline, "results": results},
                  rows, header, notes, a.out)


if __name__ == "__main__":
    main()
