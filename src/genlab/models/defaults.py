"""Each family's defaults per kind of data: one table, measured (benchmarks/defaults.py), applied by the config layer.

The layers of a run config, lowest first: the dataclasses' defaults < the family's `default_train` < this table's
entry for (family, kind of data) < a TOML file < --set < explicit flags. A profile's name ("gan/points") is recorded
in the run's config.json. Values absent here come from the layers below (for images, the network sizes chosen
from the image side: `unet_size`, `conv_vae_size`, the DCGAN layout).
"""

from __future__ import annotations

from genlab.data.dataset import DataInfo

KINDS = ("points", "small-images", "images")
SMALL_IMAGE_SIDE = 32  # images up to 32x32 (digits 8x8, MNIST 28x28, CIFAR-10 32x32) are "small"

# (family, kind) -> {"train": TrainConfig keys, "model": the family's config keys, "why": one line for README.md}
DEFAULTS: dict[tuple[str, str], dict] = {
    # ---- 2-D points (ring8, grid25, swissroll, moons): measured by benchmarks/defaults.py, 3 seeds
    ("vae", "points"): {
        "train": {"batch_size": 128, "lr": 3e-3, "ema_decay": 0.99},
        "model": {"latent_dim": 2, "sigma_init": 0.05},
        "why": "a decoder sigma starting at 1 (20-50x the data's spread) let the posterior collapse: the latent "
               "carried nothing and samples were one Gaussian blob (ring8: high-quality share 0.004); lr 3e-3: "
               "grid25 25 of 25 modes in 3 of 3 seeds at 70 s where 1e-3 covered 21-23 (defaults-vae-points.md)"},
    ("gan", "points"): {
        "train": {"batch_size": 256, "ema_decay": 0.99},
        "model": {"latent_dim": 2, "g_width": 128, "d_width": 128, "lr_g": 2e-3, "lr_d": 2e-3, "betas": (0.5, 0.9)},
        "why": "a 64-d latent kept the generator wandering round the ring, and EMA 0.999 averaged it to the centre "
               "(0 of 8 modes); a 2-d latent converges (ring8 8/8, grid25 25/25)"},
    ("ddpm", "points"): {
        "train": {"batch_size": 128, "lr": 1e-3, "ema_decay": 0.99},
        "model": {"octaves": 8, "steps": 100},
        "why": "modes 0.01 wide need Fourier features of x to be resolved by the MLP, and 20 sampling steps "
               "end in one jump from noise 0.17 (grid25 high-quality share 0.05 -> 0.75)"},
    # ---- small images (8x8 to 32x32): the values measured on digits and MNIST (benchmarks/results/)
    ("vae", "small-images"): {"train": {"batch_size": 128, "lr": 1e-3, "ema_decay": 0.999},
                              "model": {"prior": "mixture", "prior_components": 50},
                              "why": "networks sized from the image side (conv_vae_size); a learned 50-component "
                                     "mixture prior: with N(0, I) prior samples fell in the holes between the "
                                     "posteriors (MNIST 200 s: FD 44.6 -> 23.4 trained, 11.7 -> 5.22 pixels; "
                                     "vae_trials*.md)"},
    ("gan", "small-images"): {"train": {"batch_size": 64, "ema_decay": 0.999},
                              "model": {"latent_dim": 64, "g_width": 64, "d_width": 64, "lr_g": 2e-4, "lr_d": 2e-4},
                              "why": "DCGAN's recipe (Radford et al. 2016); digits: all 10 classes"},
    ("ddpm", "small-images"): {
        "train": {"batch_size": 64, "lr": 1e-3, "ema_decay": 0.999}, "model": {"prediction": "v"},
        "why": "U-Net sized from the image side (unet_size): benchmarks 1-3; v-prediction: MNIST FD 36.5 -> 23.9 "
               "trained, 7.39 -> 4.17 pixels at 600 s, ahead at 70 s too; EDM, min-SNR, cosine, lr 2e-3 were not; "
               "batch 64 (1.8x the steps of 128): MNIST 600 s FD 44.7 ± 1.7 -> 36.3 ± 1.8 trained, pixels a tie; "
               "70 s 5,220 ± 20 -> 2,140 ± 14 trained, 128 ± 0.8 -> 70.4 ± 0.8 pixels (ddpm_trials_*.md)"},
    ("ldm", "small-images"): {"train": {"batch_size": 128, "lr": 1e-3, "ema_decay": 0.999}, "model": {},
                              "why": "the autoencoder and latent U-Net of LDMConfig: benchmark 4"},
    # ---- larger images: not measured on this project's CPUs; the small-image values
    ("vae", "images"): {"train": {"batch_size": 128, "lr": 1e-3, "ema_decay": 0.999},
                        "model": {"prior": "mixture", "prior_components": 50},
                        "why": "not measured: the small-image values"},
    ("gan", "images"): {"train": {"batch_size": 64, "ema_decay": 0.999},
                        "model": {"latent_dim": 64, "g_width": 64, "d_width": 64, "lr_g": 2e-4, "lr_d": 2e-4},
                        "why": "not measured: the small-image values"},
    ("ddpm", "images"): {"train": {"batch_size": 64, "lr": 1e-3, "ema_decay": 0.999}, "model": {"prediction": "v"},
                         "why": "not measured: the small-image values"},
    ("ldm", "images"): {"train": {"batch_size": 128, "lr": 1e-3, "ema_decay": 0.999}, "model": {},
                        "why": "not measured: the small-image values"},
}


def data_kind(info: DataInfo) -> str:
    """'points' for 2-D data; 'small-images' up to SMALL_IMAGE_SIDE pixels a side; else 'images'."""
    if info.kind == "points":
        return "points"
    return "small-images" if max(info.shape[1:]) <= SMALL_IMAGE_SIDE else "images"


def profile(family: str, info: DataInfo) -> tuple[str, dict[str, dict]]:
    """(the profile's name, e.g. 'gan/points', and its {'train': ..., 'model': ...} values) for this data."""
    kind = data_kind(info)
    entry = DEFAULTS.get((family, kind), {})
    return f"{family}/{kind}", {"train": dict(entry.get("train", {})), "model": dict(entry.get("model", {}))}


def _values(d: dict) -> str:
    return ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple | list) else v}" for k, v in d.items()) \
        or "the family's own"


def defaults_markdown() -> str:
    """The table as Markdown, one row per (family, kind): what README.md prints."""
    rows = ["| family | kind of data | train | model | why |", "|---|---|---|---|---|"]
    rows += [f"| {f} | {k} | {_values(e['train'])} | {_values(e['model'])} | {e['why']} |"
             for (f, k), e in DEFAULTS.items()]
    return "\n".join(rows)
