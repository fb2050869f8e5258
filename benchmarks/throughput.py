"""Benchmark 2: training throughput (images/s: forward + backward + AdamW step) of genlab's U-Net and of
diffusers' UNet2DModel at equal parameter count and resolution, batch 128, on this machine.

    python benchmarks/throughput.py [--size 28] [--batch 128] [--iters 6] [--device cpu|cuda]

Each network is timed under each setting (fp32, channels_last, torch.compile; bf16 autocast on CUDA) and
the best setting per network is reported. Results: benchmarks/results/throughput[-cuda].{json,md}.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from common import write_results


def _default_unet(size: int = 28) -> dict:
    """genlab's default DDPM U-Net for size x size images (for 28x28 bottom-heavy: widths 12/24/48/84 at
    28/14/7/4 pixels; why: genlab.models.diffusion.model.unet_size), as the scripts' argument strings."""
    from genlab.models.diffusion.model import DDPMConfig, unet_size

    ch, mults, blocks = unet_size((1, size, size))
    return {"channels": ch, "channel_mults": ",".join(map(str, mults)), "blocks": str(blocks),
            "attn_levels": DDPMConfig.attn_levels}


GENLAB_UNET = _default_unet()  # what benchmarks 1, 2 and 4 measure unless told otherwise


def genlab_unet(channels: int = GENLAB_UNET["channels"], mults: str = GENLAB_UNET["channel_mults"],
                blocks: str = GENLAB_UNET["blocks"]) -> torch.nn.Module:
    from genlab.nn.unet import UNet

    b = tuple(int(v) for v in blocks.split(",")) if "," in blocks else int(blocks)
    return UNet(1, 1, channels, tuple(int(v) for v in mults.split(",")), b, attn_levels=GENLAB_UNET["attn_levels"])


def diffusers_unet(width: int, size: int) -> torch.nn.Module:
    from diffusers import UNet2DModel

    return UNet2DModel(sample_size=size, in_channels=1, out_channels=1, layers_per_block=1,
                       block_out_channels=(width, 2 * width, 2 * width),
                       down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"), norm_num_groups=8)


def n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def matched_diffusers(target: int, size: int) -> torch.nn.Module:
    """The diffusers UNet whose parameter count is closest to target (width a multiple of 8)."""
    best = min(range(8, 257, 8), key=lambda w: abs(n_params(diffusers_unet(w, size)) - target))
    return diffusers_unet(best, size)


def forward(net, x, t, is_diffusers: bool):
    out = net(x, t)
    return out.sample if is_diffusers else out


def time_training(net, is_diffusers: bool, size: int, batch: int, iters: int, device: str, setting: str) -> float:
    """Median images/s over `iters` timed steps after 2 warm-up steps."""
    net = net.to(device).train()
    fmt = torch.channels_last if setting in ("channels_last", "compile") else torch.contiguous_format
    net = net.to(memory_format=fmt)
    step_net = torch.compile(net) if setting == "compile" else net
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4)
    x = torch.randn(batch, 1, size, size, device=device).to(memory_format=fmt)
    t = torch.randint(0, 1000, (batch,), device=device)
    times = []
    for i in range(iters + 2):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(device, dtype=torch.bfloat16, enabled=setting == "bf16"):
            loss = F.mse_loss(forward(step_net, x, t, is_diffusers).float(), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        if i >= 2:
            times.append(time.perf_counter() - t0)
    return batch / statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--iters", type=int, default=6)
    ap.add_argument("--channels", type=int, default=GENLAB_UNET["channels"], help="genlab U-Net base channels")
    ap.add_argument("--channel-mults", default=GENLAB_UNET["channel_mults"], help="genlab U-Net widths per level")
    ap.add_argument("--blocks", default=GENLAB_UNET["blocks"], help="genlab U-Net blocks: one, or one per level")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--settings", default="fp32,channels_last,compile")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    a = ap.parse_args()
    settings = a.settings.split(",") + (["bf16"] if a.device == "cuda" else [])
    torch.manual_seed(0)
    g = genlab_unet(a.channels, a.channel_mults, a.blocks)
    d = matched_diffusers(n_params(g), a.size)
    rows, res = [], {}
    for name, make, is_d in (("genlab UNet", lambda: genlab_unet(a.channels, a.channel_mults, a.blocks), False),
                             ("diffusers UNet2DModel", lambda: matched_diffusers(n_params(g), a.size), True)):
        res[name] = {"params": n_params(g if not is_d else d)}
        for s in settings:
            try:
                ips = time_training(make(), is_d, a.size, a.batch, a.iters, a.device, s)
            except Exception as e:  # e.g. torch.compile without a working compiler: record why
                res[name][s] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"}
                continue
            res[name][s] = {"images_per_s": ips}
            print(f"{name:24s} {s:14s} {ips:8.1f} img/s", flush=True)
        ok = {s: v["images_per_s"] for s, v in res[name].items() if isinstance(v, dict) and "images_per_s" in v}
        best = max(ok, key=ok.get)
        res[name]["best"] = {"setting": best, "images_per_s": ok[best]}
        rows.append([name, res[name]["params"], *[ok.get(s, float("nan")) for s in settings], best])
    ratio = res["genlab UNet"]["best"]["images_per_s"] / res["diffusers UNet2DModel"]["best"]["images_per_s"]
    w = d.config.block_out_channels
    notes = [f"batch {a.batch}, {a.size}x{a.size}x1, forward + backward + AdamW step, median of {a.iters} steps",
             f"genlab U-Net: channels {a.channels}, mults ({a.channel_mults}), blocks {a.blocks}, attention at the "
             f"lowest level; diffusers UNet2DModel: block_out_channels {tuple(w)}, 1 layer/block, attention at the "
             "lowest level (its widths chosen to match genlab's parameter count)",
             f"speed-up of genlab's best over diffusers' best: {ratio:.2f}x (target: at least 2x)"]
    suffix = "" if a.device == "cpu" else "-cuda"
    args = {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()}
    path = write_results(f"throughput{suffix}", {"args": args, "results": res, "speedup": ratio}, rows,
                         ["network", "params", *[f"{s} img/s" for s in settings], "best"], notes, a.out)
    print(f"speed-up {ratio:.2f}x -> {path}")


if __name__ == "__main__":
    main()
