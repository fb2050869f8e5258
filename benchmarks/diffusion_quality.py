"""Benchmark 1: diffusion quality at a fixed wall-clock training budget on MNIST, genlab's DDPM against the
reference a user would otherwise pick (diffusers' UNet2DModel + DDPMScheduler in a plain training loop).

    python benchmarks/diffusion_quality.py [--budget 600s] [--n 2000] [--device cpu] [--out benchmarks/results]

Both networks have (as nearly as the diffusers block widths allow) the same parameter count, train for the
same wall-clock budget at batch 128 with the epsilon loss on a 1000-step linear schedule, and are sampled
with DDIM at 50 steps: genlab with its own DDIM sampler, diffusers with DDIMScheduler built from the
DDPMScheduler's config. Samples are scored with genlab's evaluator (FD, precision, recall) against the
MNIST test split, beside the evaluator's real-vs-real floor. Target: genlab FD <= 1/3 of diffusers FD.
genlab's run folder is kept under benchmarks/runs/ddpm-mnist (benchmark 3's --run). Results:
<out>/diffusion_quality.{json,md} and sample grids <out>/diffusion_quality-{genlab,diffusers}.png.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from common import RESULTS, write_results
from scoring import Scorer, load_mnist, save_grid, timed
from throughput import GENLAB_UNET, diffusers_unet, n_params

RUNS = Path(__file__).resolve().parent / "runs"


def genlab_config(a, device: str):
    from genlab.config import build_config, parse_set
    from genlab.models.registry import get_family

    model_cls, cfg_cls = get_family("ddpm")
    sets = [f"model.channels={a.channels}", f"model.channel_mults={a.channel_mults}",
            f"model.blocks_per_level={a.blocks}", f"model.attn_levels={a.attn_levels}",
            "model.sampler=ddim", "model.steps=50"]
    train = {"budget": a.budget, "batch_size": 128, "seed": a.seed, "device": device, "sample_every": 0,
             "checkpoint_every": 0, **({"lr": a.lr} if a.lr is not None else {})}
    cli = {"data": {"name": "mnist"}, "train": train}
    return build_config("ddpm", model_cls, cfg_cls, sets=parse_set(sets), cli=cli)


def matched_width(target: int, size: int) -> int:
    """diffusers base width (multiple of 8) whose UNet2DModel parameter count is closest to target."""
    return min(range(8, 257, 8), key=lambda w: abs(n_params(diffusers_unet(w, size)) - target))


def step_seconds(net, x: torch.Tensor, fmt, is_diffusers: bool, steps: int = 3) -> float:
    """Median seconds of a forward + backward + AdamW step of net in memory format fmt (after one warm-up)."""
    import copy

    net = copy.deepcopy(net).train().to(memory_format=fmt)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    x = x.contiguous(memory_format=fmt)
    t = torch.randint(0, 1000, (len(x),), device=x.device)
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        out = net(x, t)
        loss = F.mse_loss(out.sample if is_diffusers else out, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return sorted(times[1:])[len(times[1:]) // 2]


def choose_format(net, x: torch.Tensor, mode: str, is_diffusers: bool) -> tuple[torch.memory_format, dict]:
    """channels_last or contiguous: as told, or (auto) whichever trains faster here."""
    if mode != "auto":
        fmt = torch.channels_last if mode == "on" else torch.contiguous_format
        return fmt, {"mode": mode}
    s = {name: step_seconds(net, x, fmt, is_diffusers)
         for name, fmt in (("contiguous", torch.contiguous_format), ("channels_last", torch.channels_last))}
    best = min(s, key=s.get)
    return (torch.channels_last if best == "channels_last" else torch.contiguous_format), {
        "mode": "auto", "seconds_per_step": s, "chosen": best}


def describe_format(rec: dict) -> str:
    if rec["mode"] != "auto":
        return f"channels_last {rec['mode']}"
    s = rec["seconds_per_step"]
    return f"{rec['chosen']} (timed: {s['contiguous']:.3g} s/step contiguous, {s['channels_last']:.3g} channels_last)"


def train_genlab(a, data, device: str, run_dir: Path) -> tuple[torch.nn.Module, dict]:
    from genlab.config import parse_duration
    from genlab.train.trainer import Trainer

    cfg = genlab_config(a, device)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    trainer = Trainer(cfg, data, run_dir, progress=True, device=device)
    fmt, fmt_record = choose_format(trainer.model.net, trainer.train_x[:128], a.channels_last, False)
    for m in (trainer.model, trainer.ema):
        m.to(memory_format=fmt)
    trainer.train_x = trainer.train_x.contiguous(memory_format=fmt)
    result = trainer.fit()
    return trainer.ema.to(memory_format=torch.contiguous_format), {
        "params": n_params(trainer.model.net), "steps": result.step, "images": result.images_seen,
        "train_seconds": result.seconds, "budget_seconds": parse_duration(a.budget),
        "train_images_per_s": result.images_seen / result.seconds, "memory_format": fmt_record,
        "config": cfg.to_json(), "run_dir": str(run_dir), "lr": cfg.train.lr, "ema_decay": cfg.train.ema_decay}


def train_diffusers(a, data, device: str, width: int) -> tuple[torch.nn.Module, object, dict]:
    """A plain loop: epsilon loss on DDPMScheduler's 1000-step linear schedule, AdamW, batch 128, no EMA."""
    from diffusers import DDPMScheduler
    from tqdm import tqdm

    from genlab.config import parse_duration

    torch.manual_seed(a.seed)
    net = diffusers_unet(width, data.train.shape[-1]).to(device)
    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear")
    x_all = data.train.to(device)
    fmt, fmt_record = choose_format(net, x_all[:128], a.channels_last, True)
    net.to(memory_format=fmt)
    opt = torch.optim.AdamW(net.parameters(), lr=a.ref_lr)
    budget = parse_duration(a.budget)
    g = torch.Generator().manual_seed(a.seed)
    perm, pos, steps, elapsed = torch.randperm(len(x_all), generator=g), 0, 0, 0.0
    bar = tqdm(total=round(budget), unit="s", desc="diffusers UNet2DModel on mnist", dynamic_ncols=True)
    net.train()
    while elapsed < budget:
        t0 = time.perf_counter()
        if pos + 128 > len(x_all):
            perm, pos = torch.randperm(len(x_all), generator=g), 0
        x0 = x_all[perm[pos:pos + 128].to(device)].contiguous(memory_format=fmt)
        pos += 128
        noise = torch.randn_like(x0)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (len(x0),), device=device)
        x_t = scheduler.add_noise(x0, noise, t)
        loss = F.mse_loss(net(x_t, t).sample, noise)  # Ho et al. 2020, eq. 14: ||eps - eps_theta(x_t, t)||^2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
        elapsed += time.perf_counter() - t0
        bar.update(min(round(elapsed), round(budget)) - bar.n)
        if steps % 20 == 0:
            bar.set_postfix(loss=f"{float(loss):.4g}", refresh=False)
    bar.close()
    net.eval().to(memory_format=torch.contiguous_format)
    return net, scheduler, {"params": n_params(net), "width": width, "steps": steps, "images": steps * 128,
                            "train_seconds": elapsed, "budget_seconds": budget,
                            "train_images_per_s": steps * 128 / elapsed, "memory_format": fmt_record,
                            "lr": a.ref_lr, "ema": "none (plain loop)", "config": dict(net.config)}


@torch.no_grad()
def sample_diffusers(net, scheduler, shape: tuple[int, ...], n: int, steps: int, seed: int, device: str,
                     batch: int = 500) -> torch.Tensor:
    """DDIM (eta = 0) with diffusers' DDIMScheduler built from the DDPM scheduler's config."""
    from diffusers import DDIMScheduler

    ddim = DDIMScheduler.from_config(scheduler.config)
    ddim.set_timesteps(steps)
    out = []
    for b in range((n + batch - 1) // batch):
        g = torch.Generator(device).manual_seed(seed * 1_000_003 + b)
        x = torch.randn((min(batch, n - b * batch), *shape), generator=g, device=device)
        for t in ddim.timesteps:
            eps = net(x, t.to(device)).sample
            x = ddim.step(eps, t, x, eta=0.0).prev_sample
        out.append(x.float().cpu())
    return torch.cat(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", default="600s", help="wall-clock training time per model (default 600s)")
    ap.add_argument("--n", type=int, default=2000, help="samples per model for the metrics (default 2000)")
    ap.add_argument("--channels", type=int, default=GENLAB_UNET["channels"], help="genlab U-Net base channels")
    ap.add_argument("--channel-mults", default=GENLAB_UNET["channel_mults"],
                    help="genlab U-Net channel multipliers per level")
    ap.add_argument("--blocks", default=GENLAB_UNET["blocks"], help="genlab U-Net blocks: one, or one per level")
    ap.add_argument("--attn-levels", type=int, default=GENLAB_UNET["attn_levels"],
                    help="genlab U-Net attention at this many lowest levels")
    ap.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto",
                    help="memory format for both networks (auto: time 3 steps of each, keep the faster)")
    ap.add_argument("--lr", type=float, default=None, help="genlab learning rate (default: its DDPM default, 1e-3)")
    ap.add_argument("--ref-lr", type=float, default=2e-4, help="diffusers loop AdamW learning rate")
    ap.add_argument("--sample-steps", type=int, default=50, help="DDIM steps for both (default 50)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    ap.add_argument("--run-dir", type=Path, default=RUNS / "ddpm-mnist", help="genlab's run folder (kept)")
    a = ap.parse_args()
    torch.set_flush_denormal(True)
    data = load_mnist()
    scorer = Scorer(data, a.device)
    floor = scorer.floor(a.n, a.seed)
    print(f"real-vs-real floor FD {floor['fd']:.3f}", flush=True)

    model, g_rec = train_genlab(a, data, a.device, a.run_dir)
    width = matched_width(g_rec["params"], data.train.shape[-1])
    net, scheduler, d_rec = train_diffusers(a, data, a.device, width)

    from genlab.evaluation.generate import generate

    x_g, sec_g = timed(generate, model, a.n, seed=a.seed, batch_size=500, sampler="ddim", steps=a.sample_steps)
    x_d, sec_d = timed(sample_diffusers, net, scheduler, tuple(data.train.shape[1:]), a.n, a.sample_steps, a.seed,
                       a.device)
    out = a.out or RESULTS
    results = {}
    for name, x, sec, rec in (("genlab DDPM", x_g, sec_g, g_rec), ("diffusers UNet2DModel", x_d, sec_d, d_rec)):
        results[name] = {**rec, **scorer.score(x), "sample_seconds_per_image": sec / a.n,
                         "sampler": f"DDIM eta=0, {a.sample_steps} steps"}
        print(f"{name:24s} FD {results[name]['fd']:.3f}", flush=True)
    grids = {}
    for key, name, x in (("genlab", "genlab DDPM", x_g), ("diffusers", "diffusers UNet2DModel", x_d)):
        grids[name] = str(save_grid(scorer.snap(x), out / f"diffusion_quality-{key}.png",
                                    f"{name}, {a.budget} CPU training, DDIM {a.sample_steps}"))
    ratio = results["genlab DDPM"]["fd"] / results["diffusers UNet2DModel"]["fd"]
    rows = [[name, r["params"], r["steps"], r["train_images_per_s"], r["fd"], r["precision"], r["recall"],
             r["sample_seconds_per_image"]] for name, r in results.items()]
    rows.append(["real-vs-real floor (train vs test)", "", "", "", floor["fd"], floor["precision"],
                 floor["recall"], ""])
    notes = [f"MNIST 28x28, {a.budget} wall-clock training each on {a.device}, batch 128, eps loss, 1000-step "
             f"linear schedule; DDIM eta=0 at {a.sample_steps} steps; {a.n} samples vs the {len(data.test)} test "
             "images in genlab's evaluator features",
             f"genlab U-Net: channels {a.channels}, mults ({a.channel_mults}), {a.blocks} block(s)/level, attention "
             f"at {a.attn_levels} lowest level(s), memory format {describe_format(g_rec['memory_format'])}",
             f"diffusers UNet2DModel: block_out_channels ({width}, {2 * width}, {2 * width}), 1 layer/block, "
             f"attention at the lowest level, memory format {describe_format(d_rec['memory_format'])}",
             "samplers: genlab's DDIM on its default 'trailing' timestep grid with x0 clipped to [-1, 1]; diffusers' "
             "DDIMScheduler with its defaults from the DDPM config (timestep_spacing 'leading', clip_sample true)",
             f"genlab FD / diffusers FD = {ratio:.3f} (target: <= 0.333, "
             f"{'met' if ratio <= 1 / 3 else 'not met'})",
             f"sample grids: {', '.join(grids.values())}"]
    args = {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()}
    path = write_results("diffusion_quality", {"args": args, "results": results, "floor": floor,
                                               "evaluator": scorer.record, "fd_ratio": ratio,
                                               "target": "genlab FD <= diffusers FD / 3",
                                               "target_met": ratio <= 1 / 3, "grids": grids},
                         rows, ["model", "params", "train steps", "train img/s", "FD", "precision", "recall",
                                "sample s/img"], notes, out)
    print(f"genlab FD / diffusers FD = {ratio:.3f} -> {path}")


if __name__ == "__main__":
    main()
