"""Cost of a model: parameters, sampling throughput and peak memory."""

from __future__ import annotations

import resource
import sys
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


def peak_memory_bytes(device: str | torch.device) -> int:
    """Peak CUDA memory allocated by tensors on `device`, or the process's peak resident set size on CPU."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)  # Linux reports KiB, macOS bytes


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
