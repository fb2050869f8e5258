"""The one seeded generation function, and what the metrics see of its samples.

Image k of seed s is drawn from its own random stream (rng.image_seeds(s, k, 1)), so it is the same image
whatever the batch size or the number of images asked for (EDM's per-seed generation).
"""

from __future__ import annotations

import math

import torch
from tqdm import tqdm

from genlab.data.dataset import Dataset
from genlab.data.quantize import from_levels, to_levels
from genlab.errors import ConfigError
from genlab.evaluation.speed import timed_batches
from genlab.models.base import GenerativeModel
from genlab.rng import PerImageGenerator, image_seeds

FLAGS = {"steps": "--steps", "truncation": "--truncation", "temperature": "--temperature", "eta": "--eta",
         "sampler": "--sampler"}


def check_sample_options(model: GenerativeModel, options: dict) -> dict:
    """The given (non-None) options, or a ConfigError naming the first one this family does not take."""
    given = {k: v for k, v in options.items() if v is not None}
    allowed = model.sample_options()
    for k in given:
        if k not in allowed:
            raise ConfigError(f"{FLAGS.get(k, k)} does not apply to a {model.family} run (its options: "
                              f"{', '.join(allowed) or 'none'})")
    return given


def batch_generator(device: torch.device, seed: int, batch_index: int) -> torch.Generator:
    """One stream per batch, for estimates that are not samples (likelihood bounds): batch b of seed s."""
    return torch.Generator(device).manual_seed(seed * 1_000_003 + batch_index)


@torch.no_grad()
def generate(model: GenerativeModel, n: int, seed: int = 0, batch_size: int = 256, progress: bool = False,
             timing: dict | None = None, **options) -> torch.Tensor:
    """n samples on CPU, [n, *shape], image k from its own seeded stream. With `timing` (a dict), its
    'samples_per_second' is set from the batches after the first (a warm-up; all batches if there is one)."""
    if n <= 0:
        raise ConfigError(f"the number of samples must be positive, got {n}")
    device = next(model.parameters()).device
    n_batches = math.ceil(n / batch_size)
    bar = tqdm(total=n, desc=f"sampling {model.family}", disable=not progress or n_batches < 2, unit="img")

    def one(b: int) -> torch.Tensor:
        start = b * batch_size
        size = min(batch_size, n - start)
        x = model.sample(size, generator=PerImageGenerator(image_seeds(seed, start, size), device), **options)
        bar.update(size)
        return x.detach().float().cpu()

    outs, seconds = timed_batches(one, n_batches, device, warmup=1)
    bar.close()
    if timing is not None:
        timed = sum(len(o) for o in outs[1:]) if n_batches > 1 else n
        timing["samples_per_second"] = timed / max(seconds, 1e-9)
    return torch.cat(outs)


def as_data(samples: torch.Tensor, dataset: Dataset) -> torch.Tensor:
    """Samples as saving them would leave them: images clamped to [-1, 1] and rounded to the data's levels."""
    if dataset.kind != "image":
        return samples
    samples = samples.clamp(-1, 1)
    return from_levels(to_levels(samples, dataset.levels), dataset.levels) if dataset.levels is not None else samples
