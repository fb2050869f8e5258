"""What each step sees, as a pure function of the step: its batch indices and its RNG seed. A resumed run
therefore draws exactly the batches and the noise the uninterrupted run would have drawn."""

from __future__ import annotations

import torch

from genlab.errors import ConfigError
from genlab.train.distributed import DistInfo


def step_seed(seed: int, step: int, rank: int) -> int:
    """The global RNG is reseeded from (seed, step, rank) every iteration, so a resumed run draws
    exactly the noise the uninterrupted run would have drawn."""
    return (seed * 1_000_003 + step * 7_919 + rank * 104_729) % (2**63 - 1)


class BatchSchedule:
    """Batch indices as a pure function of the step: a fresh seeded permutation each epoch.

    The global batch is split into contiguous per-rank shards, so world_size ranks of B/world_size
    together see exactly the batch a single process of B would see.
    """

    def __init__(self, n: int, batch_size: int, seed: int, dist: DistInfo, grad_accum: int = 1):
        """`batch_size` is the micro-batch; a step draws grad_accum of them (the effective batch)."""
        if batch_size % dist.world_size:
            raise ConfigError(f"train.batch_size {batch_size} is not divisible by the {dist.world_size} processes")
        batch_size *= grad_accum
        if batch_size > n:
            what = f" (x train.grad_accum {grad_accum})" if grad_accum > 1 else ""
            raise ConfigError(f"train.batch_size {batch_size // grad_accum}{what} is larger than the training set "
                              f"({n} examples)")
        self.n, self.batch_size, self.seed, self.dist = n, batch_size, seed, dist
        self.steps_per_epoch = n // batch_size
        self._epoch, self._perm = -1, None

    def indices(self, step: int) -> torch.Tensor:
        epoch, i = divmod(step, self.steps_per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 7_777_777 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.n, generator=g)
        idx = self._perm[i * self.batch_size:(i + 1) * self.batch_size]
        per_rank = self.batch_size // self.dist.world_size
        return idx[self.dist.rank * per_rank:(self.dist.rank + 1) * per_rank]
