"""Checkpoints: safetensors for tensors, JSON for everything else, never pickle.

A checkpoint is `ckpt-<step>.safetensors` (model, EMA, optimizer tensors) beside `ckpt-<step>.json`
(config, step, optimizer hyper-parameters, RNG state, the sha256 of the tensor file). Each file is
written to a temporary name, fsynced and renamed; `latest.json` is replaced last. A kill at any
moment therefore leaves `latest.json` pointing at a complete, verified checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from genlab.errors import CheckpointError, GenlabError
from genlab.fileio import atomic_write_bytes, atomic_write_json

FORMAT = 1


def _flatten_optimizer(name: str, opt: torch.optim.Optimizer, tensors: dict) -> dict:
    sd = opt.state_dict()
    scalars: dict = {}
    for idx, state in sd["state"].items():
        for k, v in state.items():
            if torch.is_tensor(v):
                tensors[f"optim.{name}.{idx}.{k}"] = v.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{k}"] = v
    return {"param_groups": sd["param_groups"], "scalars": scalars, "indices": list(sd["state"].keys())}


def _unflatten_optimizer(name: str, meta: dict, tensors: dict) -> dict:
    state: dict = {int(i): {} for i in meta["indices"]}
    prefix = f"optim.{name}."
    for key, v in tensors.items():
        if key.startswith(prefix):
            idx, k = key[len(prefix):].split(".", 1)
            state[int(idx)][k] = v
    for key, v in meta["scalars"].items():
        idx, k = key.split(".", 1)
        state[int(idx)][k] = v
    return {"state": state, "param_groups": meta["param_groups"]}


def _module_tensors(prefix: str, module: torch.nn.Module, tensors: dict) -> None:
    for k, v in module.state_dict().items():
        tensors[f"{prefix}.{k}"] = v.detach().cpu().clone().contiguous()


def save_checkpoint(ckpt_dir: Path, step: int, model: torch.nn.Module, ema: torch.nn.Module,
                    optimizers: dict[str, torch.optim.Optimizer], meta: dict, keep: int = 2) -> Path:
    """Write checkpoint `step` atomically, point latest.json at it, prune to the newest `keep`."""
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    _module_tensors("model", model, tensors)
    _module_tensors("ema", ema, tensors)
    opt_meta = {name: _flatten_optimizer(name, opt, tensors) for name, opt in optimizers.items()}
    tensors["rng.torch"] = torch.get_rng_state()
    blob = st_save(tensors)
    stem = f"ckpt-{step:08d}"
    atomic_write_bytes(ckpt_dir / f"{stem}.safetensors", blob)
    record = dict(meta, format=FORMAT, step=step, optimizers=opt_meta,
                  tensors_file=f"{stem}.safetensors", tensors_sha256=hashlib.sha256(blob).hexdigest())
    atomic_write_json(ckpt_dir / f"{stem}.json", record)
    atomic_write_json(ckpt_dir / "latest.json", {"checkpoint": stem, "step": step})
    stems = sorted(p.stem for p in ckpt_dir.glob("ckpt-*.json"))
    for old in stems[:-keep] if keep > 0 else []:
        for ext in (".json", ".safetensors"):
            (ckpt_dir / f"{old}{ext}").unlink(missing_ok=True)
    return ckpt_dir / stem


_STEM, _TENSORS = re.compile(r"ckpt-\d{1,20}"), re.compile(r"ckpt-\d{1,20}\.safetensors")
_RECORD_TYPES = {"step": int, "optimizers": dict, "tensors_file": str, "tensors_sha256": str}


def read_json(path: Path, error: type[GenlabError] = CheckpointError) -> Any:
    """A JSON file's value; `error` names the file when it is missing, unreadable or not JSON."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise error(f"{path}: file is missing") from None
    except OSError as e:
        raise error(f"{path}: cannot read ({e.strerror or e})") from None
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise error(f"{path}: not valid JSON ({' '.join(str(e).split())[:200]})") from None


def _check_record(path: Path, record: Any) -> None:
    if not isinstance(record, dict):
        raise CheckpointError(f"{path}: a checkpoint record must be a JSON object")
    if record.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {record.get('format')!r} is not {FORMAT}, the one "
                              f"this genlab reads")
    for key, kind in _RECORD_TYPES.items():
        v = record.get(key)
        if not isinstance(v, kind) or isinstance(v, bool):
            raise CheckpointError(f"{path}: '{key}' must be a {kind.__name__}, got {type(v).__name__}")
    if record["step"] < 0:
        raise CheckpointError(f"{path}: negative step {record['step']}")
    if not _TENSORS.fullmatch(record["tensors_file"]):  # a plain name in this folder, never a path
        raise CheckpointError(f"{path}: tensor file name {record['tensors_file'][:80]!r} is not "
                              f"ckpt-<step>.safetensors")


def read_checkpoint(ckpt_dir: Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """(JSON record, tensors) of the checkpoint latest.json points at, verified by sha256; every problem
    (missing, malformed or corrupt files, non-finite weights) is a CheckpointError naming the file."""
    latest = ckpt_dir / "latest.json"
    if not latest.is_file():
        raise CheckpointError(f"no checkpoint in {ckpt_dir} (latest.json is missing)")
    pointer = read_json(latest)
    stem = pointer.get("checkpoint") if isinstance(pointer, dict) else None
    if not isinstance(stem, str) or not _STEM.fullmatch(stem):
        raise CheckpointError(f"{latest}: does not name a checkpoint (expected {{\"checkpoint\": \"ckpt-<step>\"}})")
    record_path = ckpt_dir / f"{stem}.json"
    record = read_json(record_path)
    _check_record(record_path, record)
    path = ckpt_dir / record["tensors_file"]
    try:
        blob = path.read_bytes()
    except OSError:
        raise CheckpointError(f"{path}: checkpoint tensor file is missing") from None
    if hashlib.sha256(blob).hexdigest() != record["tensors_sha256"]:
        raise CheckpointError(f"{path}: checkpoint is corrupt (sha256 does not match its record)")
    try:
        tensors = st_load(blob)
    except SafetensorError as e:
        raise CheckpointError(f"{path}: not a valid safetensors file ({e})") from None
    for k, v in tensors.items():
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(f"{path}: tensor '{k}' holds NaN or infinite values")
    return record, tensors


def check_tensors(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """CheckpointError unless `state` has exactly the module's state-dict keys, shapes and dtypes."""
    want = module.state_dict()
    missing, extra = sorted(set(want) - set(state)), sorted(set(state) - set(want))
    if missing or extra:
        raise CheckpointError(f"{what} do not fit the model its config describes ({len(missing)} missing, "
                              f"{len(extra)} unexpected, first {(missing or extra)[0]!r})")
    for k, v in want.items():
        if state[k].shape != v.shape or state[k].dtype != v.dtype:
            raise CheckpointError(f"{what}: '{k}' is {state[k].dtype} {tuple(state[k].shape)} but the model its "
                                  f"config describes needs {v.dtype} {tuple(v.shape)}")


def check_checkpoint_format(record: dict, ckpt_dir: Path) -> None:
    """A CheckpointError for a checkpoint written in a newer format than this genlab reads."""
    fmt = record.get("format", FORMAT)
    if not isinstance(fmt, int) or fmt > FORMAT:
        version = record.get("versions", {}).get("genlab", "?") if isinstance(record.get("versions"), dict) else "?"
        raise CheckpointError(f"{ckpt_dir}: checkpoint written by genlab {version} in format {fmt!r}; this genlab "
                              f"reads format {FORMAT} and older: upgrade genlab")


def module_state(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    n = len(prefix) + 1
    return {k[n:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def restore_optimizer(name: str, opt: torch.optim.Optimizer, record: dict, tensors: dict) -> None:
    opt.load_state_dict(_unflatten_optimizer(name, record["optimizers"][name], tensors))
