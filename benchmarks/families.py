"""Benchmark 4: every genlab family (vae, gan, ddpm, ldm) at one wall-clock budget on MNIST via `genlab
compare`, side by side with the peers a user would pick: pythae's VAE, and a DCGAN trained the way PyTorch's
official DCGAN example trains it. Every model is scored under the protocol of `genlab score` / `genlab evaluate`
in every feature space (the trained evaluator and the pixel-PCA space, each calibrated): FD, precision, recall
with standard errors against the training split, beside the real-vs-real floor.

    python benchmarks/families.py [--budget 600s] [--n 2000] [--device cpu] [--out benchmarks/results]

genlab's families train through genlab.compare.run_compare into benchmarks/runs/families (a fresh folder each
run, unless --keep); their FD, precision, recall, bits/dim, training and sampling images/s come from each
run's metrics.json (genlab's metric suite). Peers, each under the same wall-clock budget:
  * DCGAN (Radford et al. 2016) as in pytorch/examples dcgan/main.py: nz 100, ngf = ndf = 64, BatchNorm,
    N(0, 0.02) conv init, BCE, Adam lr 2e-4 beta1 0.5, batch 128; its 64x64 architecture with one
    up/down-sampling stage fewer for 32x32, MNIST padded from 28 to 32 with background and cropped back.
  * pythae's VAE (benchmarks/peers/pythae_vae.py), once per network set of --pythae-nets (default: its MLP
    networks and its ResNet MNIST benchmark networks), run in a separate env because pythae pins a `dataclasses`
    backport and pydantic that must not enter genlab's env. Set it up once:
        python3 -m venv .venv-bench
        .venv-bench/bin/pip install torch==2.13.0        # exactly, else pip pulls a CUDA build
        .venv-bench/bin/pip install pythae
    (check `.venv-bench/bin/python -c "import torch; print(torch.__version__)"` says 2.13.0+cpu). Another
    interpreter: --peer-python. If pythae cannot run, its row says unavailable and why.
Peers' samples and records are kept in <runs>/peers/, so `--keep` scores them again without retraining.
Target: every genlab family at least as good (FD) as its peer: no peer ahead in any calibrated space (intervals
separated). Results: <out>/families.{json,md} and a sample
grid PNG per family and peer, <out>/families-<name>.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import MNIST_DIR, RESULTS, write_results
from scoring import Scorer, fd_verdict, load_mnist, save_grid, space_rows
from torch import nn

BENCH = Path(__file__).resolve().parent
PEER_PYTHON = BENCH.parent / ".venv-bench" / "bin" / "python"
FAMILIES = ("vae", "gan", "ddpm", "ldm")
PEER_OF = {"vae": "pythae VAE", "gan": "DCGAN (PyTorch example)"}
PYTHAE_NETS = {"default": "MLP", "conv": "conv", "resnet": "ResNet"}


# ---- DCGAN, as pytorch/examples trains it ------------------------------------------------------------
def dcgan_generator(nz: int = 100, ngf: int = 64, nc: int = 1) -> nn.Module:
    """z [B, nz, 1, 1] -> image [B, nc, 32, 32] in [-1, 1]: the example's generator less its first 2x stage."""
    return nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),  # 4x4
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),  # 8x8
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),  # 16x16
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())  # 32x32


def dcgan_discriminator(ndf: int = 64, nc: int = 1) -> nn.Module:
    """image [B, nc, 32, 32] -> probability real [B]: the example's discriminator less its last 2x stage."""
    return nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),  # 16x16
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False), nn.Sigmoid(), nn.Flatten(0))  # 4x4 -> 1


def dcgan_init(m: nn.Module) -> None:
    """The example's weights_init: conv weights ~ N(0, 0.02), BatchNorm weight ~ N(1, 0.02), bias 0."""
    if "Conv" in type(m).__name__:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in type(m).__name__:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def train_dcgan(train: torch.Tensor, budget: float, n: int, seed: int, device: str) -> tuple[torch.Tensor, dict]:
    """DCGAN trained for `budget` seconds; n samples [n, 1, 28, 28] and a record."""
    torch.manual_seed(seed)
    nz, bs = 100, 128
    G, D = dcgan_generator(nz).to(device), dcgan_discriminator().to(device)
    G.apply(dcgan_init)
    D.apply(dcgan_init)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    x_all = nn.functional.pad(train, (2, 2, 2, 2), value=-1.0).to(device)  # 28 -> 32, background -1
    g = torch.Generator().manual_seed(seed)
    perm, pos, steps, elapsed = torch.randperm(len(x_all), generator=g), 0, 0, 0.0
    while elapsed < budget:
        t0 = time.perf_counter()
        if pos + bs > len(x_all):
            perm, pos = torch.randperm(len(x_all), generator=g), 0
        real = x_all[perm[pos:pos + bs].to(device)]
        pos += bs
        ones, zeros = torch.ones(bs, device=device), torch.zeros(bs, device=device)
        # Goodfellow et al. 2014, eq. 1: D maximises log D(x) + log(1 - D(G(z)))
        fake = G(torch.randn(bs, nz, 1, 1, device=device))
        loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # the non-saturating generator loss: G maximises log D(G(z))
        loss_g = bce(D(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        steps += 1
        elapsed += time.perf_counter() - t0
    G.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        gen = torch.Generator(device).manual_seed(seed)
        x = torch.cat([G(torch.randn(min(500, n - i), nz, 1, 1, generator=gen, device=device)).cpu()
                       for i in range(0, n, 500)])
    sample_s = time.perf_counter() - t0
    return x[..., 2:30, 2:30], {"params": sum(p.numel() for p in [*G.parameters(), *D.parameters()]),
                                "generator_params": sum(p.numel() for p in G.parameters()), "steps": steps,
                                "train_seconds": elapsed, "train_images_per_s": steps * bs / elapsed,
                                "sample_images_per_s": n / sample_s, "last_loss_d": loss_d.item(),
                                "last_loss_g": loss_g.item()}


# ---- pythae's VAE in its own env ---------------------------------------------------------------------
def run_pythae(train: torch.Tensor, budget: float, n: int, seed: int, device: str, python: Path,
               nets: str) -> tuple[torch.Tensor | None, dict]:
    """pythae's VAE through benchmarks/peers/pythae_vae.py in `python`; (None, reason) when it cannot run."""
    if not python.exists():
        return None, {"available": False, "reason": f"peer interpreter {python} not found (see the docstring "
                      "to create .venv-bench with pythae)"}
    with tempfile.TemporaryDirectory(prefix="genlab-bench-") as tmp:
        np.save(Path(tmp) / "train.npy", train.numpy().astype(np.float32))
        cmd = [str(python), str(BENCH / "peers" / "pythae_vae.py"), "--train", str(Path(tmp) / "train.npy"),
               "--budget-seconds", str(budget), "--n", str(n), "--out", str(Path(tmp) / "samples.npy"),
               "--seed", str(seed), "--device", device, "--nets", nets]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
            return None, {"available": False, "reason": f"pythae peer failed (exit {p.returncode}): {tail[:200]}"}
        record = json.loads(p.stdout.strip().splitlines()[-1])
        return torch.from_numpy(np.load(Path(tmp) / "samples.npy")), record


def save_peer(folder: Path, key: str, x: torch.Tensor, record: dict) -> None:
    """A trained peer's samples and record, so that --keep scores them again without retraining."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / f"{key}.npy", x.float().numpy())
    (folder / f"{key}.json").write_text(json.dumps(record, indent=1))


def load_peer(folder: Path, key: str) -> tuple[torch.Tensor | None, dict | None]:
    if not (folder / f"{key}.npy").is_file() or not (folder / f"{key}.json").is_file():
        return None, None
    return torch.from_numpy(np.load(folder / f"{key}.npy")), json.loads((folder / f"{key}.json").read_text())


# ---- genlab families -------------------------------------------------------------------------------
def run_genlab(a, runs: Path) -> None:
    from genlab.cli.compare import parse_step_grid
    from genlab.compare import CompareSpec, run_compare

    spec = CompareSpec(data="mnist", data_dir=str(MNIST_DIR), families=tuple(a.families.split(",")),
                       budget=a.budget, out=runs, device=a.device, n_eval=a.n, n_curve=a.n_curve,
                       n_likelihood=a.n_likelihood, n_latent=a.n_latent, step_grid=parse_step_grid(a.step_grid),
                       sets=list(a.set or []), progress=True)
    run_compare(spec)


def genlab_row(run_dir: Path, device: str, out: Path) -> tuple[dict, str]:
    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    m = json.loads((run_dir / "metrics.json").read_text())
    fid, cost, lik = m["fidelity"], m["cost"], m["likelihood"]
    model, cfg, _, _ = load_run(run_dir, device)
    grid = save_grid(generate(model, 64, seed=0, batch_size=64), out / f"families-genlab-{cfg.family}.png",
                     f"genlab {cfg.family}, {cost['train_seconds']:.0f} s CPU training")
    return {"fd": fid["fd"], "precision": fid["precision"], "recall": fid["recall"],
            "bits_per_dim": lik.get("bits_per_dim", f"n/a ({lik.get('reason', '')})"),
            "train_images_per_s": cost["train_images_per_s"], "sample_images_per_s": cost["samples_per_second"],
            "params": int(cost["parameters"]), "train_steps": cost["train_steps"], "floor": m["floor"],
            "spaces": space_rows(m),
            "sample_options": m["protocol"].get("sample_options") if isinstance(m.get("protocol"), dict) else None,
            "config": cfg.to_json()}, str(grid)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", default="600s", help="wall-clock training time per family and peer (default 600s)")
    ap.add_argument("--n", type=int, default=2000, help="samples per model for the metrics (default 2000)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--n-curve", type=int, default=250, help="samples per point of compare's quality curves")
    ap.add_argument("--n-likelihood", type=int, default=100, help="test examples for bits/dim")
    ap.add_argument("--n-latent", type=int, default=128, help="test examples for reconstruction")
    ap.add_argument("--step-grid", default="ddim:50;dpm_solver:20;sde_dpm_solver:20",
                    help="compare's diffusion quality-vs-steps grid (benchmark 3 measures samplers fully)")
    ap.add_argument("--set", action="append", default=None, metavar="FAMILY.KEY=VALUE",
                    help="compare's per-family overrides, e.g. ddpm.model.channels=32 (default: none; genlab's 28x28 "
                         "DDPM default is benchmark 1's U-Net)")
    ap.add_argument("--peers", default="vae,gan", help="peers to run: vae (pythae), gan (DCGAN); '' for none")
    ap.add_argument("--peer-python", type=Path, default=PEER_PYTHON, help="interpreter with pythae installed")
    ap.add_argument("--pythae-nets", default="default,resnet",
                    help="pythae VAE network sets, comma-separated, one peer each: default (its MLPs), conv, resnet "
                         "(its MNIST benchmark convnets / ResNets)")
    ap.add_argument("--keep", action="store_true", help="keep finished runs in --runs instead of starting afresh")
    ap.add_argument("--runs", type=Path, default=BENCH / "runs" / "families", help="genlab's compare folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default benchmarks/results)")
    a = ap.parse_args()
    from genlab.config import parse_duration

    torch.set_flush_denormal(True)
    out = a.out or RESULTS
    budget = parse_duration(a.budget)
    data = load_mnist()
    scorer = Scorer(data, a.device)
    if a.runs.exists() and not a.keep:
        shutil.rmtree(a.runs)
    run_genlab(a, a.runs)
    results, grids = {}, {}
    for fam in a.families.split(","):
        results[f"genlab {fam}"], grids[f"genlab {fam}"] = genlab_row(a.runs / "runs" / f"{fam}-seed0", a.device, out)
    peers = [(p, nets) for p in a.peers.split(",") if p for nets in (a.pythae_nets.split(",") if p == "vae" else [""])]
    for peer, nets in peers:
        name = PEER_OF[peer] + (f" ({PYTHAE_NETS[nets]})" if nets else "")
        key = peer + (f"-{nets}" if nets else "")
        x, rec = load_peer(a.runs / "peers", key) if a.keep else (None, None)
        if x is None:
            print(f"training peer {name} for {a.budget}", flush=True)
            if peer == "gan":
                x, rec = train_dcgan(data.train, budget, a.n, a.seed, a.device)
            else:
                x, rec = run_pythae(data.train, budget, a.n, a.seed, a.device, a.peer_python, nets)
            if x is None:
                results[name] = rec
                continue
            save_peer(a.runs / "peers", key, x, rec)
        scored = scorer.score_all_spaces(x, a.seed)
        results[name] = {**scored["fidelity"], **rec, "bits_per_dim": "n/a (not measured for peers)",
                         "spaces": space_rows(scored), "floor": scored["floor"]}
        grids[name] = str(save_grid(scorer.snap(x), out / f"families-peer-{key}.png",
                                    f"{name}, {rec['train_seconds']:.0f} s CPU training"))
    floor = next(iter(results.values()))["floor"] if results else scorer.floor(a.n, a.seed)
    verdicts = {}
    for peer, nets in peers:
        fam, name = peer, PEER_OF[peer] + (f" ({PYTHAE_NETS[nets]})" if nets else "")
        g, p = results.get(f"genlab {fam}"), results.get(name)
        if g is None or p is None:
            continue
        if "spaces" not in p:
            verdicts[name] = {"family": fam, "peer": name, "met": None, "reason": p.get("reason")}
            continue
        who, per_space = fd_verdict(g["spaces"], p["spaces"])
        outcome = {"a": "genlab ahead", "b": "peer ahead"}.get(who, who)
        verdicts[name] = {"family": fam, "peer": name, "outcome": outcome,
                          "per_space": {r: {"a": "genlab", "b": "peer"}.get(v, v) for r, v in per_space.items()},
                          "genlab_fd": {r: [g["spaces"][r]["fd"], g["spaces"][r]["fd_se"]] for r in per_space},
                          "peer_fd": {r: [p["spaces"][r]["fd"], p["spaces"][r]["fd_se"]] for r in per_space},
                          "met": who in ("a", "tie")}
    roles = sorted({r for res in results.values() for r in res.get("spaces", {})}, key=lambda r: r != "trained")

    def fd_cell(r: dict, role: str) -> str:
        sp = r.get("spaces", {}).get(role)
        return f"{sp['fd']:.3g} ± {1.96 * sp['fd_se']:.2g}" if sp else "n/a"

    cols = ["precision", "recall", "bits_per_dim", "train_images_per_s", "sample_images_per_s", "params"]
    rows = [[name, *(fd_cell(r, role) for role in roles), *(r[c] for c in cols)] if "fd" in r
            else [name, f"unavailable: {r['reason']}", *[""] * (len(roles) + len(cols) - 1)]
            for name, r in results.items()]
    first = next((r for r in results.values() if "spaces" in r), {})
    rows.append(["real-vs-real floor (held-out test vs train)",
                 *(f"{first['spaces'][r]['floor_fd']:.3g}" if r in first.get("spaces", {}) else "" for r in roles),
                 floor.get("precision", ""), floor.get("recall", ""), "", "", "", ""])
    notes = [f"MNIST 28x28, {a.budget} wall-clock training per model on {a.device}; {a.n} samples per model, scored "
             "as `genlab score` scores them (clamped and rounded to 256 levels) against the training split in every "
             "feature space (FD columns: ± is the 95% interval, bootstrap over samples); precision and recall in the "
             "trained space; bits/dim from genlab's suite on the first test images (genlab families only)",
             "genlab families: `genlab compare` defaults for MNIST (each family's own config and default sampler), "
             f"with overrides {', '.join(a.set or []) or 'none'}",
             "peers: DCGAN as in pytorch/examples (32x32, padded MNIST, BCE, Adam 2e-4 beta1 0.5, batch 128); "
             f"pythae VAE ({a.pythae_nets} networks, BCE, Adam 1e-3, batch 128, latent 16, NormalSampler)",
             "verdict per pair, by the report's rule: a side is ahead only when the FD intervals separate in every "
             "calibrated space; overlap in some space is a tie; spaces that disagree are inconclusive"]
    for v in verdicts.values():
        notes.append(f"genlab {v['family']} vs {v['peer']}: {v['outcome']} (per space: "
                     + ", ".join(f"{r} {o}" for r, o in v["per_space"].items()) + ") -> target "
                     + ("met" if v["met"] else "not met") if v["met"] is not None
                     else f"genlab {v['family']}: peer {v['peer']} unavailable ({v['reason']})")
    notes.append("sample grids: " + ", ".join(grids.values()))
    args = {k: str(v) if isinstance(v, Path) else v for k, v in vars(a).items()}
    path = write_results("families", {"args": args, "results": results, "floor": floor, "evaluator": scorer.record,
                                      "target": "no peer ahead of its genlab family in any calibrated space",
                                      "verdicts": verdicts,
                                      "grids": grids},
                         rows, ["model", *(f"FD ({r})" for r in roles), "precision", "recall", "bits/dim",
                                "train img/s", "sample img/s", "params"], notes, out)
    print(f"-> {path}")


if __name__ == "__main__":
    main()
