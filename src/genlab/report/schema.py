"""The plain data the report is built from (produced by `genlab compare`; the report reads, never runs).

A metric value is a float, or an `Unavailable` record saying why it does not exist (a GAN has no likelihood).
Every structure here is JSON-serialisable as is.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from genlab.errors import GenlabError


class ReportInputError(GenlabError):
    """The report's inputs are incomplete or malformed (e.g. an image file named in `images` is missing)."""


class Unavailable(TypedDict):
    """A metric that is not defined or was not measured for a family, with the reason."""

    available: Literal[False]
    reason: str


MetricValue = float | Unavailable

# One seed's flat metrics of one family, keyed by metric name (see catalogue.METRICS):
# fd, kid, precision, recall, density, coverage, classes_covered, num_classes, class_kl, modes_covered,
# num_modes, hq_share, reverse_kl, memorization, bpd, recon_mse, recon_psnr, interp_smoothness, params,
# train_images_per_s, train_seconds, sample_images_per_s, nfe, peak_mem_mb. Any key may be missing.
SeedMetrics = dict[str, MetricValue]

# per_family[family] = one SeedMetrics per seed; per_family["floor"] may hold the real-vs-real floor (a dict).
PerFamily = dict[str, list[SeedMetrics]]

# The real-vs-real floor: the metrics between two real splits, e.g. {"fd": 0.4, "precision": 0.9}.
Floor = dict[str, float]

# One training-log row: {"step": int, "time": float seconds, "images_seen": int, <loss term>: float, ...}.
CurveRow = dict[str, float]
Curves = dict[str, list[CurveRow]]  # family -> rows of seed 0

# family -> [[training seconds, fd], ...]
QualityVsTime = dict[str, list[list[float]]]

# diffusion family -> sampler ("ddpm", "ddim", "dpm_solver", ...) -> [[steps (NFE), fd, seconds per image], ...]
QualityVsSteps = dict[str, dict[str, list[list[float]]]]


class VaeElbo(TypedDict):
    """The VAE's negative ELBO split into its two terms, in bits/dim (seed 003's tug of war)."""

    recon_bpd: float
    kl_bpd: float


class DiffusionElbo(TypedDict):
    """The diffusion bound split into per-step KLs L_t (bits/dim each), L_0, the prior term and the total."""

    t: list[int]
    L_t_bpd: list[float]
    L_0_bpd: float
    prior_bpd: float
    total_bpd: float


class ElboView(TypedDict, total=False):
    """Either entry may be missing."""

    vae: VaeElbo
    ddpm: DiffusionElbo


# conditional compares: family -> {"knob": "guidance" | "truncation" | "temperature", "points": [{"value", "fd",
# "precision", "recall", "coverage", "class_accuracy"?}, ...]} (evaluation.knobs.knob_curve)
FidelityDiversity = dict[str, dict]

# family -> image name ("samples", "interpolation", "reconstructions", "inpaint", "img2img", "scatter", ...)
# -> path of a PNG file on disk.
Images = dict[str, dict[str, str]]


class Cell(TypedDict, total=False):
    """One table cell: mean, std (None with one seed) and n over seeds; or available=False with the reason."""

    available: bool
    mean: float
    std: float | None
    n: int
    values: list[float]
    se: float  # standard error (95% interval: mean +- 1.96 se)
    reason: str


Verdict = Literal["agrees", "disagrees", "partly", "tie", "inconclusive", "not testable"]
