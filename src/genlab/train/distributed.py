"""torchrun awareness: rank, world size, process group set-up (gloo on CPU, NCCL on CUDA)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device_kind: str) -> DistInfo:
    """Join the process group torchrun describes in the environment; a no-op without torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_kind == "cuda" else "gloo")
    return current()


def all_finite(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """True only if every rank saw finite losses (so all ranks stop together)."""
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item() > 0)


def rank_max(values: list[float], info: DistInfo, device: torch.device) -> list[float]:
    """Each value's largest over the ranks (one all_reduce MAX)."""
    if not info.enabled:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.tolist()


def any_rank(flags: list[bool], info: DistInfo, device: torch.device) -> list[bool]:
    """Each flag true if it is true on any rank, so every rank takes the same branch."""
    return [v > 0 for v in rank_max([1.0 if f else 0.0 for f in flags], info, device)]


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def current() -> DistInfo:
    """The process group this process has joined (a single process when none)."""
    if not (dist.is_available() and dist.is_initialized()):
        return DistInfo()
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def join(device: torch.device) -> tuple[DistInfo, torch.device]:
    """For a process under torchrun (the trainer, `genlab sample`, `genlab evaluate`): join the group, and on CUDA
    take the local rank's GPU. Without torchrun: (single process, the device unchanged)."""
    info = init_distributed(device.type)
    if info.enabled and device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    return info, device


def gather_ordered(mine: dict[int, object], n: int, info: DistInfo) -> list:
    """Items 0..n-1 in order on every rank, each rank having computed the ones in `mine` (CPU tensors or plain
    values; all_gather_object serialises them between processes only, never to disk)."""
    if not info.enabled:
        return [mine[i] for i in range(n)]
    parts: list = [None] * info.world_size
    dist.all_gather_object(parts, mine)
    merged = {k: v for part in parts for k, v in part.items()}
    return [merged[i] for i in range(n)]


def shard_map(fn, n: int, info: DistInfo) -> list:
    """[fn(i) for i in range(n)] with item i computed on rank i mod world_size, the results gathered in order on
    every rank. Work keyed by i (per-image seeds, per-batch generators) thus gives one process's numbers exactly."""
    return gather_ordered({i: fn(i) for i in range(info.rank, n, info.world_size)}, n, info)


def leave(info: DistInfo) -> None:
    """Leave the group together at the end of a command (a rank that exits while another still holds gloo's
    sockets can abort it)."""
    if info.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
