"""Run folders: runs/NNNNN-<name>/ with config.json, metrics.jsonl, checkpoints/, samples/."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import torch
import torch.nn.modules.module as module_hooks

from genlab.config import RunConfig, config_from_json, validate
from genlab.data.dataset import DataInfo
from genlab.errors import CheckpointError, ConfigError, DataError
from genlab.models.base import GenerativeModel
from genlab.models.registry import build_model
from genlab.train.checkpoint import check_checkpoint_format, check_tensors, module_state, read_checkpoint
from genlab.train.config_file import read_config_file

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


def read_run_config(run_dir: str | Path) -> RunConfig:
    """The RunConfig in run_dir/config.json (format and version checked by train.config_file, values validated);
    CheckpointError naming the file if it is missing, malformed or newer."""
    try:
        cfg = read_config_file(Path(run_dir))
        validate(cfg)
        return cfg
    except ConfigError as e:
        raise CheckpointError(str(e)) from None


def load_run(run_dir: str | Path, device: torch.device | str = "cpu", ema: bool = True,
             ) -> tuple[GenerativeModel, RunConfig, DataInfo, dict]:
    """Rebuild a model from its run folder alone (config + weights in the latest checkpoint). The model its
    config describes is first built on the meta device and must match the checkpoint's tensors exactly, so a
    malformed record never allocates more than the checkpoint itself holds."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"run folder not found: {run_dir}")
    ckpt_dir = run_dir / "checkpoints"
    record, tensors = read_checkpoint(ckpt_dir)
    check_checkpoint_format(record, ckpt_dir)
    tensors_path = ckpt_dir / record["tensors_file"]  # its record is the .json of the same name
    weights = module_state("ema" if ema else "model", tensors)
    try:
        cfg = config_from_json(record.get("config"))
        validate(cfg)
        info = DataInfo.from_json(record.get("data"))
        with _at_most_registrations(4 * len(weights) + 256), torch.device("meta"):
            skeleton = build_model(cfg, info)
    except (ConfigError, DataError) as e:
        raise CheckpointError(f"{tensors_path.with_suffix('.json')}: {e}") from None
    for prefix in ("model", "ema"):
        check_tensors(skeleton, module_state(prefix, tensors), f"{tensors_path}: '{prefix}' weights")
    model = build_model(cfg, info)
    model.load_state_dict(weights)
    model.to(device).eval()
    return model, cfg, info, record


@contextlib.contextmanager
def _at_most_registrations(n: int):
    """Stop building a module once it registers more than n parameters, buffers and submodules: a config
    edited to a huge depth is refused before its construction loop runs away."""
    count = 0

    def hook(*_):
        nonlocal count
        count += 1
        if count > n:
            raise ConfigError(f"its config describes a model far larger than the checkpoint (over {n} parts)")

    hooks = [register(hook) for register in (module_hooks.register_module_parameter_registration_hook,
                                             module_hooks.register_module_buffer_registration_hook,
                                             module_hooks.register_module_module_registration_hook)]
    try:
        yield
    finally:
        for h in hooks:
            h.remove()
