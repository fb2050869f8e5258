"""Cost of a model: parameters, sampling throughput and peak memory."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn


def parameter_count(model: nn.Module) -> int:
    """Number of scalar parameters (shared tensors counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak_memory(device: str | torch.device) -> None:
    """Start a fresh CUDA peak-memory window (CPU RSS peaks cannot be reset)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


# The only CPU peak is the process's resident-set high-water mark, which cannot be reset: in a compare it would
# carry one family's peak into the next, so it is not reported at all rather than misattributed.
CPU_PEAK_MEMORY_REASON = "peak memory is measured on CUDA only: a CPU process's peak RSS cannot be reset per model"


def peak_memory_bytes(device: str | torch.device) -> int | None:
    """Peak CUDA memory allocated by tensors on `device` since reset_peak_memory; None on CPU (see above)."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    return None


def timed_batches(sample_batch: Callable[[int], torch.Tensor], n_batches: int, device: str | torch.device,
                  warmup: int = 1) -> tuple[list[torch.Tensor], float]:
    """Run sample_batch(b) for b in range(n_batches); return the outputs and the seconds spent on the batches
    after the first `warmup` (synchronized on CUDA). With n_batches <= warmup all batches are timed."""
    device = torch.device(device)
    outs, elapsed, start = [], 0.0, None
    skip = warmup if n_batches > warmup else 0
    for b in range(n_batches):
        if b == skip:
            _sync(device)
            start = time.perf_counter()
        outs.append(sample_batch(b))
    _sync(device)
    if start is not None:
        elapsed = time.perf_counter() - start
    return outs, elapsed


def images_per_second(sample_batch: Callable[[int], torch.Tensor], batch_size: int, n_batches: int,
                      device: str | torch.device, warmup: int = 1) -> float:
    """Sampling throughput at a fixed batch size, after `warmup` untimed batches."""
    outs, seconds = timed_batches(sample_batch, n_batches + warmup, device, warmup)
    return sum(len(o) for o in outs[warmup:]) / max(seconds, 1e-9)
