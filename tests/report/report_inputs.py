"""Synthetic report inputs: four families, three seeds, small PNGs written with PIL."""

from __future__ import annotations

import copy

import numpy as np

# per-family means; each seed adds a fixed offset (GAN's FD varies most across seeds)
BASE = {
    "vae": {"fd": 9.8, "kid": 0.09, "precision": 0.5, "recall": 0.7, "density": 0.6, "coverage": 0.7,
            "modes_covered": 8.0, "num_modes": 8.0, "reverse_kl": 0.05, "hq_share": 0.6, "memorization": 0.01,
            "bpd": 1.4, "recon_mse": 0.02, "recon_psnr": 23.0, "interp_smoothness": 1.1, "params": 120000.0,
            "train_images_per_s": 3000.0, "train_seconds": 60.0, "sample_images_per_s": 5000.0, "nfe": 1.0,
            "peak_mem_mb": 80.0},
    "gan": {"fd": 5.2, "kid": 0.05, "precision": 0.8, "recall": 0.3, "density": 0.9, "coverage": 0.4,
            "modes_covered": 5.0, "num_modes": 8.0, "reverse_kl": 0.6, "hq_share": 0.8, "memorization": 0.02,
            "bpd": {"available": False, "reason": "adversarial training defines no likelihood"},
            "recon_mse": {"available": False, "reason": "a GAN has no encoder"},
            "recon_psnr": {"available": False, "reason": "a GAN has no encoder"},
            "interp_smoothness": 1.6, "params": 150000.0, "train_images_per_s": 2500.0, "train_seconds": 60.0,
            "sample_images_per_s": 6000.0, "nfe": 1.0, "peak_mem_mb": 90.0},
    "ddpm": {"fd": 3.1, "kid": 0.03, "precision": 0.75, "recall": 0.8, "density": 0.8, "coverage": 0.85,
             "modes_covered": 8.0, "num_modes": 8.0, "reverse_kl": 0.03, "hq_share": 0.75, "memorization": 0.01,
             "bpd": 1.1, "recon_mse": {"available": False, "reason": "no compact latent"},
             "recon_psnr": {"available": False, "reason": "no compact latent"},
             "interp_smoothness": 1.4, "params": 400000.0, "train_images_per_s": 900.0, "train_seconds": 60.0,
             "sample_images_per_s": 40.0, "nfe": 100.0, "peak_mem_mb": 200.0},
    "ldm": {"fd": 4.0, "kid": 0.04, "precision": 0.7, "recall": 0.75, "density": 0.7, "coverage": 0.8,
            "modes_covered": 8.0, "num_modes": 8.0, "reverse_kl": 0.04, "hq_share": 0.7, "memorization": 0.01,
            "bpd": {"available": False, "reason": "bound is on latents"}, "recon_mse": 0.03, "recon_psnr": 21.0,
            "interp_smoothness": 1.3, "params": 300000.0, "train_images_per_s": 1500.0, "train_seconds": 60.0,
            "sample_images_per_s": 300.0, "nfe": 50.0, "peak_mem_mb": 150.0},
}
SPREAD = {"vae": 0.02, "gan": 0.3, "ddpm": 0.02, "ldm": 0.02}  # relative per-seed offsets of every number


def make_per_family(base=None, seeds: int = 3) -> dict:
    """One metrics dict per seed: value * (1 + spread * (seed - 1)) for numbers, records unchanged."""
    base = base or BASE
    out = {}
    for fam, metrics in base.items():
        rows = []
        for s in range(seeds):
            k = 1 + SPREAD.get(fam, 0.02) * (s - (seeds - 1) / 2)
            rows.append({m: (v * k if isinstance(v, float) and m not in ("num_modes", "nfe", "modes_covered")
                             else copy.deepcopy(v)) for m, v in metrics.items()})
        out[fam] = rows
    return out


def write_png(path, seed: int, size=(12, 10)) -> str:
    from PIL import Image

    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return str(path)


def quality_vs_steps() -> dict:
    """FD = 3 + 30 / steps for ddim (within 10% of the best, FD(1000) = 3.03, from 100 steps on: 30/s <= 0.333)."""
    grid = [10, 20, 50, 100, 250, 500, 1000]
    return {"ddpm": {"ddim": [[s, 3 + 30 / s, 0.001 * s] for s in grid],
                     "ddpm": [[s, 3 + 300 / s, 0.001 * s] for s in grid]}}




def make_inputs(images: dict) -> dict:
    """Every input of build_results, around the given image paths."""
    per = make_per_family()
    per["floor"] = {"fd": 0.4, "precision": 0.92, "recall": 0.91}
    curves = {f: [{"step": s, "time": 0.1 * s, "images_seen": 64 * s, "loss": 2.0 / (1 + s)} for s in range(0, 50, 5)]
              for f in ("vae", "ddpm", "ldm")}
    curves["gan"] = [{"step": s, "time": 0.1 * s, "images_seen": 64 * s, "loss_d": 1.3 - 0.01 * s,
                      "loss_g": 0.7 + 0.01 * s} for s in range(0, 50, 5)]
    t = list(range(1, 101))
    return dict(
        per_family=per, curves=curves,
        quality_vs_time={f: [[10.0 * i, 20.0 / i + BASE[f]["fd"]] for i in range(1, 6)] for f in BASE},
        quality_vs_steps=quality_vs_steps(),
        elbo_view={"vae": {"recon_bpd": 1.2, "kl_bpd": 0.2},
                   "ddpm": {"t": t, "L_t_bpd": [0.05 / i for i in t], "L_0_bpd": 0.6, "prior_bpd": 1e-5,
                            "total_bpd": 1.1}},
        images=images,
        protocol={"feature_extractor": {"name": "digits-cnn", "sha256": "ab" * 32}, "n_samples": 2000,
                  "seeds": [0, 1, 2], "sampler": {"name": "ddim", "steps": 100}, "versions": {"torch": "2.13.0"}},
        meta={"data": "ring8", "budget": "2 min per family", "seeds": [0, 1, 2],
              "families": ["vae", "gan", "ddpm", "ldm"], "date": "2026-11-21", "machine": "cpu x2"},
    )
