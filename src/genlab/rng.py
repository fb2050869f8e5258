"""Random draws keyed by image: a PerImageGenerator gives image k its own stream, so a sample depends on its
seed alone and not on the batch it is drawn in (EDM's StackedRandomGenerator, Karras et al. 2022).

Every place that draws noise for sampling calls `randn`/`rand`/`per_image` here with either a plain
torch.Generator (one stream for the whole batch: training, likelihood estimates) or a PerImageGenerator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Draw = Callable[[tuple[int, ...], torch.Generator | None], torch.Tensor]


class PerImageGenerator:
    """One torch.Generator per image, seeded with that image's seed."""

    def __init__(self, seeds: Sequence[int], device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.seeds = [int(s) for s in seeds]
        self.generators = [torch.Generator(self.device).manual_seed(s) for s in self.seeds]

    def __len__(self) -> int:
        return len(self.generators)


Generator = torch.Generator | PerImageGenerator | None


def image_seeds(seed: int, start: int, n: int) -> list[int]:
    """Seeds of images start..start+n-1 of a run seeded `seed` (image k's seed never depends on batching)."""
    return [(seed * 1_000_003 + k) % (2**63 - 1) for k in range(start, start + n)]


def per_image(draw: Draw, shape: tuple[int, ...], generator: Generator) -> torch.Tensor:
    """draw(shape, generator) for one stream; row k from generator k's stream for a PerImageGenerator."""
    if not isinstance(generator, PerImageGenerator):
        return draw(tuple(shape), generator)
    if shape[0] != len(generator):
        raise ValueError(f"{shape[0]} rows drawn from a PerImageGenerator of {len(generator)} images")
    return torch.stack([draw(tuple(shape[1:]), g) for g in generator.generators])


def randn(shape: Sequence[int], generator: Generator = None, device: torch.device | str | None = None,
          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Standard normal noise of `shape`, row k from image k's stream when the generator is per image."""
    return per_image(lambda s, g: torch.randn(s, generator=g, device=device, dtype=dtype), tuple(shape), generator)


def rand(shape: Sequence[int], generator: Generator = None, device: torch.device | str | None = None,
         dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Uniform [0, 1) noise of `shape`, row k from image k's stream when the generator is per image."""
    return per_image(lambda s, g: torch.rand(s, generator=g, device=device, dtype=dtype), tuple(shape), generator)


def randn_like(x: torch.Tensor, generator: Generator = None) -> torch.Tensor:
    """Standard normal noise of x's shape, device and dtype."""
    return randn(x.shape, generator, x.device, x.dtype)
