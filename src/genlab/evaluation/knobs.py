"""Each family's fidelity-diversity knob: fidelity (FD, precision) and diversity (recall, coverage) as a conditional
model turns it, with the class accuracy of its samples.

The knobs: classifier-free guidance w for diffusion (Ho & Salimans 2022), truncation psi for the GAN (Brock et al.
2019), the prior temperature T for the VAE. Every point draws the same seeds and the same labels (sample k of class
k mod K), so the curves differ by the knob alone.
"""

from __future__ import annotations

import torch

from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable
from genlab.evaluation.conditional import predict_classes, requested_labels
from genlab.evaluation.curves import CURVE_SEED
from genlab.evaluation.generate import as_data, generate
from genlab.evaluation.sample_metrics import DC_K, PR_K
from genlab.metrics.classes import class_accuracy
from genlab.metrics.density_coverage import density_coverage
from genlab.metrics.frechet import frechet_distance
from genlab.metrics.precision_recall import precision_recall

# family -> (sampling option, values from most faithful to most diverse)
KNOBS: dict[str, tuple[str, tuple[float, ...]]] = {
    "ddpm": ("guidance", (4.0, 2.0, 1.0, 0.5, 0.0)),
    "ldm": ("guidance", (4.0, 2.0, 1.0, 0.5, 0.0)),
    "gan": ("truncation", (0.25, 0.5, 1.0, 1.5, 2.0)),
    "vae": ("temperature", (0.5, 0.7, 0.85, 1.0, 1.2)),
}


def knob_of(model) -> tuple[str, tuple[float, ...]]:
    """(option, values) of the model's family; NotAvailable for a family without one or an unconditional run."""
    if not model.conditional:
        raise NotAvailable(f"{model.family}: the fidelity-diversity curve is drawn for conditional runs")
    if model.family not in KNOBS or KNOBS[model.family][0] not in model.sample_options():
        raise NotAvailable(f"{model.family}: no fidelity-diversity knob")
    return KNOBS[model.family]


def knob_curve(model, data: Dataset, space, ref: torch.Tensor, n: int,
               values: tuple[float, ...] | None = None) -> dict:
    """{'knob': option, 'points': [{'value', 'fd', 'precision', 'recall', 'coverage', 'class_accuracy'}, ...]} for n
    fixed-seed samples at each knob value, measured in `space` against reference features `ref`."""
    option, default = knob_of(model)
    real = ref[torch.randperm(len(ref), generator=torch.Generator().manual_seed(CURVE_SEED))[:n]]
    points = []
    for v in values or default:
        x = as_data(generate(model, n, seed=CURVE_SEED, batch_size=500, **{option: float(v)}), data)
        fake = space.features(x)
        precision, recall = precision_recall(real, fake, PR_K)
        _, coverage = density_coverage(real, fake, DC_K)
        point = {"value": float(v), "fd": frechet_distance(fake, ref), "precision": precision, "recall": recall,
                 "coverage": coverage}
        try:
            hits = class_accuracy(predict_classes(data, space, x), requested_labels(model, n), data.num_classes)
            point["class_accuracy"] = hits["accuracy"]
        except NotAvailable:
            pass
        points.append(point)
    return {"knob": option, "points": points}
