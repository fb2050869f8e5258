"""What each metric key means: label, unit, and which direction is better."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    label: str
    unit: str  # "" for dimensionless
    better: Literal["lower", "higher"] | None  # None: descriptive only (e.g. a count of classes)


METRICS: dict[str, Metric] = {
    "fd": Metric("FD", "", "lower"),
    "kid": Metric("KID", "", "lower"),
    "precision": Metric("precision", "", "higher"),
    "recall": Metric("recall", "", "higher"),
    "density": Metric("density", "", "higher"),
    "coverage": Metric("coverage", "", "higher"),
    "mode_coverage": Metric("modes covered", "fraction of modes", "higher"),
    "class_coverage": Metric("classes covered", "fraction of classes", "higher"),
    "modes_covered": Metric("modes covered", "modes", "higher"),
    "num_modes": Metric("modes in data", "modes", None),
    "classes_covered": Metric("classes covered", "classes", "higher"),
    "num_classes": Metric("classes in data", "classes", None),
    "class_kl": Metric("class-histogram KL", "nats", "lower"),
    "class_accuracy": Metric("class accuracy (conditional: drawn as the class asked for)", "share", "higher"),
    "hq_share": Metric("high-quality share", "", "higher"),
    "reverse_kl": Metric("reverse KL", "nats", "lower"),
    "memorization": Metric("memorization", "share", "lower"),
    "bpd": Metric("NLL bound", "bits/dim", "lower"),
    "recon_mse": Metric("reconstruction MSE", "", "lower"),
    "recon_psnr": Metric("reconstruction PSNR", "dB", "higher"),
    "interp_smoothness": Metric("interpolation smoothness", "x ideal step", "lower"),
    "params": Metric("parameters", "", "lower"),
    "train_images_per_s": Metric("training throughput", "img/s", "higher"),
    "train_seconds": Metric("training time", "s", "lower"),
    "sample_images_per_s": Metric("sampling throughput", "img/s", "higher"),
    "nfe": Metric("network evaluations per sample", "NFE", "lower"),
    "peak_mem_mb": Metric("peak memory", "MB", "lower"),
}

# the same fidelity/diversity metrics in the other feature spaces (see report/verdicts.py's SPACES)
for _suffix, _space in (("_pixels", "pixels"), ("_dinov2", "DINOv2")):
    for _key in ("fd", "kid", "precision", "recall", "density", "coverage"):
        _m = METRICS[_key]
        METRICS[_key + _suffix] = Metric(f"{_m.label} ({_space})", _m.unit, _m.better)


def hidden(key: str) -> bool:
    """Keys that travel with the cells but are not rows of their own: standard errors, calibration flags."""
    return key.endswith("_se") or key.startswith("calibrated")


# derived key -> (numerator, denominator): computed per seed from the flat metrics
DERIVED: dict[str, tuple[str, str]] = {
    "mode_coverage": ("modes_covered", "num_modes"),
    "class_coverage": ("classes_covered", "num_classes"),
}


def metric(key: str) -> Metric:
    """The catalogue entry of a key; unknown keys are shown by name, with no unit and no direction."""
    return METRICS.get(key, Metric(key, "", None))


def direction_symbol(key: str) -> str:
    """'↓' when lower is better, '↑' when higher is better, '' otherwise."""
    better = metric(key).better
    return {"lower": "↓", "higher": "↑"}.get(better or "", "")


def fmt(value: float) -> str:
    """A number at three significant digits; from 100 up, whole numbers with thousands separators."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
