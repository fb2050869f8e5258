"""Pictures every run folder gets at the end of training: samples, reconstructions, interpolations."""

from __future__ import annotations

from pathlib import Path

import torch

from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable
from genlab.models.base import GenerativeModel
from genlab.visual import save_grid, save_samples_figure


@torch.no_grad()
def interpolation_pairs(model: GenerativeModel, data: Dataset, generator: torch.Generator, k: int):
    """k endpoint pairs: test examples for families that encode; prior draws for a GAN (it interpolates in z)."""
    if model.family == "gan":
        dim = model.config.latent_dim
        draw = lambda: torch.randn(dim, generator=generator, device=generator.device)  # noqa: E731
        return [(draw(), draw()) for _ in range(k)]
    device = next(model.parameters()).device
    x = data.test[: 2 * k].to(device)
    return [(x[2 * i], x[2 * i + 1]) for i in range(k)]


@torch.no_grad()
def save_run_artifacts(model: GenerativeModel, data: Dataset, run_dir: Path, seed: int = 0, n: int = 8) -> list[str]:
    """Write samples/reconstructions.png and samples/interpolation.png where the family supports them."""
    out = Path(run_dir) / "samples"
    device = next(model.parameters()).device
    written = []
    if data.kind == "image":
        x = data.test[:n].to(device)
        try:
            rec = model.reconstruct(x)
            save_grid(torch.cat([x, rec]), out / "reconstructions.png", nrow=n)
            written.append("reconstructions.png")
        except NotAvailable:
            pass
    g = torch.Generator(device).manual_seed(seed)
    try:
        rows = [model.interpolate(a, b, steps=n) for a, b in
                interpolation_pairs(model, data, g, 4 if data.kind == "image" else 1)]
    except NotAvailable:
        return written
    frames = torch.cat(rows)
    if data.kind == "image":
        save_grid(frames, out / "interpolation.png", nrow=n)
    else:
        save_samples_figure(frames, out / "interpolation.png", data, title="interpolation")
    written.append("interpolation.png")
    return written
