"""Run folders: runs/NNNNN-<name>/ with config.json, metrics.jsonl, checkpoints/, samples/."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from genlab.config import RunConfig, config_from_json
from genlab.data.dataset import DataInfo
from genlab.errors import CheckpointError
from genlab.models.base import GenerativeModel
from genlab.models.registry import build_model
from genlab.train.checkpoint import check_checkpoint_format, module_state, read_checkpoint

_RUN = re.compile(r"^(\d{5})-(.+)$")


def run_name(family: str, data: str) -> str:
    """'<family>-<data>', the data named by its file or folder stem when it is a path."""
    return f"{family}-{Path(data).stem}"


def new_run_dir(root: str | Path, name: str) -> Path:
    """Create and return the next numbered run folder under root. mkdir is atomic, so two trainings
    started at once in the same root never share a folder."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.glob("*") if (m := _RUN.match(p.name))]
    n = max(numbers) + 1 if numbers else 0
    while True:
        path = root / f"{n:05d}-{name}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


def latest_run_dir(root: str | Path, name: str) -> Path | None:
    """The highest-numbered run folder under root with this name, if any."""
    root = Path(root)
    if not root.is_dir():
        return None
    found = sorted((int(m.group(1)), p) for p in root.glob("*") if (m := _RUN.match(p.name)) and m.group(2) == name)
    return found[-1][1] if found else None


def load_run(run_dir: str | Path, device: torch.device | str = "cpu", ema: bool = True,
             ) -> tuple[GenerativeModel, RunConfig, DataInfo, dict]:
    """Rebuild a model from its run folder alone (config + weights in the latest checkpoint)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"run folder not found: {run_dir}")
    record, tensors = read_checkpoint(run_dir / "checkpoints")
    check_checkpoint_format(record, run_dir / "checkpoints")
    cfg = config_from_json(record["config"])
    info = DataInfo.from_json(record["data"])
    model = build_model(cfg, info)
    model.load_state_dict(module_state("ema" if ema else "model", tensors))
    model.to(device).eval()
    return model, cfg, info, record
