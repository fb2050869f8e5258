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


def pair_labels(model: GenerativeModel, data: Dataset, i: int) -> tuple[int, int] | None:
    """The classes of interpolation pair i's ends for a conditional model: the two test examples' labels, or for
    a GAN (prior draws) classes 2i and 2i+1 mod K, so its strips morph between classes."""
    if not model.conditional:
        return None
    if model.family == "gan":
        k = model.info.num_classes
        return (2 * i) % k, (2 * i + 1) % k
    return int(data.test_labels[2 * i]), int(data.test_labels[2 * i + 1])


@torch.no_grad()
def save_run_artifacts(model: GenerativeModel, data: Dataset, run_dir: Path, seed: int = 0, n: int = 8) -> list[str]:
    """Write samples/reconstructions.png and samples/interpolation.png where the family supports them."""
    out = Path(run_dir) / "samples"
    device = next(model.parameters()).device
    written = []
    cond = model.conditional and data.test_labels is not None
    if data.kind == "image":
        x = data.test[:n].to(device)
        try:
            rec = model.reconstruct(x, **({"labels": data.test_labels[:n].to(device)} if cond else {}))
            save_grid(torch.cat([x, rec]), out / "reconstructions.png", nrow=n)
            written.append("reconstructions.png")
        except NotAvailable:
            pass
    g = torch.Generator(device).manual_seed(seed)
    pairs = interpolation_pairs(model, data, g, 4 if data.kind == "image" else 1)
    ends = [pair_labels(model, data, i) for i in range(len(pairs))]
    try:
        rows = [model.interpolate(a, b, steps=n, **({} if y is None else {"labels": y}))
                for (a, b), y in zip(pairs, ends, strict=True)]
    except NotAvailable:
        return written
    frames = torch.cat(rows)
    if data.kind == "image":
        save_grid(frames, out / "interpolation.png", nrow=n)
    else:
        save_samples_figure(frames, out / "interpolation.png", data, title="interpolation")
    written.append("interpolation.png")
    return written
