"""The one seeded generation function, and what the metrics see of its samples.

Image k of seed s is drawn from its own random stream (rng.image_seeds(s, k, 1)), so it is the same image
whatever the batch size or the number of images asked for (EDM's per-seed generation): bit for bit at one batch
size, up to float rounding across batch sizes (oneDNN chooses its CPU convolution kernels by batch size). Labels
are keyed per image too: image k of a conditional model has label labels[k mod len(labels)] (by default k mod K, an even
split), so image k with label y_k is the same image in any batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from tqdm import tqdm

from genlab.data.dataset import Dataset
from genlab.data.quantize import from_levels, to_levels
from genlab.errors import ConfigError
from genlab.evaluation.speed import timed_batches
from genlab.models.base import GenerativeModel
from genlab.rng import PerImageGenerator, image_seeds
from genlab.train import distributed

FLAGS = {"steps": "--steps", "truncation": "--truncation", "temperature": "--temperature", "eta": "--eta",
         "sampler": "--sampler", "guidance": "--guidance"}
Labels = Sequence[int] | str | None  # a cycle of class labels (-1: the null class), "all", or None (the default)


def check_sample_options(model: GenerativeModel, options: dict) -> dict:
    """The given (non-None) options, or a ConfigError naming the first one this family does not take."""
    given = {k: v for k, v in options.items() if v is not None}
    allowed = model.sample_options()
    for k in given:
        if k == "guidance" and k not in allowed:
            raise ConfigError(f"--guidance needs a class-conditional diffusion run (ddpm or ldm trained with "
                              f"--conditional); this is {'a conditional' if model.conditional else 'an unconditional'} "
                              f"{model.family} run")
        if k not in allowed:
            raise ConfigError(f"{FLAGS.get(k, k)} does not apply to a {model.family} run (its options: "
                              f"{', '.join(allowed) or 'none'})")
    return given


def batch_generator(device: torch.device, seed: int, batch_index: int) -> torch.Generator:
    """One stream per batch, for estimates that are not samples (likelihood bounds): batch b of seed s."""
    return torch.Generator(device).manual_seed(seed * 1_000_003 + batch_index)


def label_cycle(model: GenerativeModel, labels: Labels) -> list[int] | None:
    """The labels images cycle through: None for an unconditional model (which refuses labels), else the given
    ones, checked against the model's classes ("all" and None: 0..K-1, the even split)."""
    if labels is None and not model.conditional:
        return None
    if not model.conditional:
        raise ConfigError(f"--label: this {model.family} run is unconditional (train it with --conditional)")
    cycle = list(range(model.info.num_classes)) if labels is None or labels == "all" else [int(v) for v in labels]
    if not cycle:
        raise ConfigError("--labels: give at least one label")
    model.sample_labels(len(cycle), cycle)  # a ConfigError for a label out of range
    return cycle


def image_labels(cycle: list[int] | None, start: int, size: int) -> torch.Tensor | None:
    """Labels [size] of images start..start+size-1: image k has cycle[k mod len(cycle)] (None: unconditional)."""
    if cycle is None:
        return None
    return torch.tensor([cycle[k % len(cycle)] for k in range(start, start + size)], dtype=torch.long)


@torch.no_grad()
def generate(model: GenerativeModel, n: int, seed: int = 0, batch_size: int = 256, progress: bool = False,
             timing: dict | None = None, labels: Labels = None, **options) -> torch.Tensor:
    """n samples on CPU, [n, *shape], image k from its own seeded stream and (conditional models) with label
    image_labels(...)[k]. With `timing` (a dict), its 'samples_per_second' is set from the batches after the first
    (a warm-up; all batches if there is one)."""
    if n <= 0:
        raise ConfigError(f"the number of samples must be positive, got {n}")
    cycle = label_cycle(model, labels)
    device = next(model.parameters()).device
    n_batches = math.ceil(n / batch_size)
    info = distributed.current()
    bar = tqdm(total=n, desc=f"sampling {model.family}", unit="img",
               disable=not progress or n_batches < 2 or not info.is_main)

    def one(b: int) -> torch.Tensor:
        start = b * batch_size
        size = min(batch_size, n - start)
        # unconditional models are not passed labels at all (families outside genlab need not take them)
        kw = {} if cycle is None else {"labels": image_labels(cycle, start, size).to(device)}
        x = model.sample(size, generator=PerImageGenerator(image_seeds(seed, start, size), device), **kw, **options)
        bar.update(size)
        return x.detach().float().cpu()

    # under torchrun each rank draws batches b = rank, rank + world, ... and every rank gets all n in order: the
    # per-image seeds make them the images one process would draw
    mine = list(range(info.rank, n_batches, info.world_size))
    outs, seconds = timed_batches(lambda i: one(mine[i]), len(mine), device, warmup=1)
    bar.close()
    if timing is not None:  # this process's rate (under torchrun: per process)
        timed = sum(len(o) for o in (outs[1:] if len(outs) > 1 else outs))
        timing["samples_per_second"] = timed / max(seconds, 1e-9)
    return torch.cat(distributed.gather_ordered(dict(zip(mine, outs, strict=True)), n_batches, info))


def as_data(samples: torch.Tensor, dataset: Dataset) -> torch.Tensor:
    """Samples as saving them would leave them: images clamped to [-1, 1] and rounded to the data's levels."""
    if dataset.kind != "image":
        return samples
    samples = samples.clamp(-1, 1)
    return from_levels(to_levels(samples, dataset.levels), dataset.levels) if dataset.levels is not None else samples
