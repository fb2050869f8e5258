"""Benchmark 10 (issue 21): how much faster could `genlab sample` get on this CPU, and at what cost to the samples?

    python benchmarks/sampling_ceiling.py --run RUN [--n 512] [--batch-size 128] [--steps 50]

Issue 21 asks for DDIM-50 and the default sampler at 2x the images per second of the shipped code with samples
bit-identical for the same seeds. Benchmark 8 (`sampling_speed.py`) measures the shipped path against a
baseline; this script measures the ceiling: the same DDIM sampling of RUN through `generate()` (what `genlab
sample` calls), with the network run each way a user of PyTorch on a CPU could run it, each against the shipped
NCHW path's images:

- shipped: NCHW activations, eager PyTorch (the U-Net's eval mode);
- channels_last: NHWC activations in eval mode (oneDNN's NHWC kernels, which the trainer uses);
- torch.compile: Inductor with weight freezing (prepacked oneDNN convolutions, fused pointwise kernels);
- two batches at once: each half of a batch on its own thread with one intra-op thread per batch, instead of
  one batch on every core (inter-op against intra-op parallelism).

A variant counts only if it is faster; it meets issue 21 only at 2x with identical samples. The profile line
gives the share of the shipped path's time spent in convolutions, the part no change of schedule removes.
Results: <out>/sampling_ceiling.{json,md}.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from common import RESULTS, write_results
from sampling_speed import compare as differences

from genlab.evaluation.generate import generate
from genlab.nn.unet import UNet
from genlab.rng import PerImageGenerator, image_seeds
from genlab.runs import load_run


def timed_generate(model, a) -> tuple[np.ndarray, float]:
    """generate() as `genlab sample --sampler ddim --steps S` runs it; images/s over the batches after the first."""
    timing = {}
    x = generate(model, a.n, seed=0, batch_size=a.batch_size, timing=timing, sampler="ddim", steps=a.steps)
    return x.numpy(), timing["samples_per_second"]


def two_batches_at_once(model, a) -> tuple[np.ndarray, float]:
    """Batches of batch_size / 2 two at a time, one thread each (the per-image seeds make them generate()'s
    images whatever the split); the first pair warms up, as in generate()."""
    half, threads = a.batch_size // 2, torch.get_num_threads()

    @torch.no_grad()
    def one(start: int) -> torch.Tensor:
        g = PerImageGenerator(image_seeds(0, start, half))
        return model.sample(half, generator=g, sampler="ddim", steps=a.steps)

    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(2) as pool:
            starts = list(range(0, a.n, half))
            outs = list(pool.map(one, starts[:2]))
            t0 = time.perf_counter()
            outs += list(pool.map(one, starts[2:]))
            seconds = time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)
    return torch.cat(outs).numpy(), (a.n - 2 * half) / seconds


def conv_share(model, a) -> float:
    """Share of one batch's sampling time (10 steps) that the profiler puts in convolutions."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as p:
        generate(model, a.batch_size, seed=0, batch_size=a.batch_size, sampler="ddim", steps=10)
    ops = p.key_averages()
    total = sum(e.self_cpu_time_total for e in ops)
    return sum(e.self_cpu_time_total for e in ops if "convolution" in e.key) / total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", type=Path, required=True, help="a trained 28x28 DDPM run (genlab train ddpm)")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--out", type=Path, default=RESULTS)
    a = ap.parse_args()
    torch.set_flush_denormal(True)  # as the trainer and the CLI leave it
    model = load_run(a.run, "cpu")[0]
    net = model.net
    if not isinstance(net, UNet):
        ap.error(f"{a.run} is not a U-Net DDPM run")
    results = {"conv_share_shipped": conv_share(model, a)}
    ref, results["shipped"] = timed_generate(model, a)
    net.eval_memory_format = torch.channels_last
    x, ips = timed_generate(model, a)
    results["channels_last"] = {"images_per_s": ips, **differences(x, ref)}
    net.eval_memory_format = torch.contiguous_format
    import torch._inductor.config as inductor

    inductor.freezing = True
    model.net = torch.compile(net)
    t0 = time.perf_counter()
    generate(model, a.batch_size, seed=0, batch_size=a.batch_size, sampler="ddim", steps=1)  # one static shape
    compile_s = time.perf_counter() - t0
    x, ips = timed_generate(model, a)
    results["torch.compile"] = {"images_per_s": ips, "compile_s": compile_s, **differences(x, ref)}
    model.net = net
    x, ips = two_batches_at_once(model, a)
    results["two batches at once"] = {"images_per_s": ips, **differences(x, ref)}
    base = results["shipped"]
    rows = [["shipped (NCHW, eager)", round(base, 2), 1.0, "-", "-"]]
    for name in ("channels_last", "torch.compile", "two batches at once"):
        r = results[name]
        rows.append([name, round(r["images_per_s"], 2), round(r["images_per_s"] / base, 3),
                     "yes" if r["identical"] else f"no (max abs diff {r['max_abs_diff']:.2g})",
                     f"{100 * r.get('uint8_values_differing', 0.0):.3g}%"])  # compare() omits it when identical
    notes = [f"run {a.run}; DDIM-{a.steps}, {a.n} images (seed 0) at batch {a.batch_size} through generate(); img/s "
             "over the batches after the first",
             f"convolutions take {100 * results['conv_share_shipped']:.0f}% of the shipped path's time (torch "
             "profiler, one batch, 10 steps)",
             f"torch.compile's compile time ({results['torch.compile']['compile_s']:.0f} s) "
             "is not in its img/s"]
    write_results("sampling_ceiling", {"run": str(a.run), "args": {k: str(v) for k, v in vars(a).items()},
                                       "results": results}, rows,
                  ["network run as", "img/s", "speed-up", "samples identical to shipped", "8-bit values differing"],
                  notes, a.out)


if __name__ == "__main__":
    main()
