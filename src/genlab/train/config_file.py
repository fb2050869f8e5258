"""config.json, the file that makes a folder a run folder: the run's config, its data's description and budget,
the genlab version that wrote it and the format it is written in. A newer format is refused, not misread."""

from __future__ import annotations

import json
from pathlib import Path

from genlab import __version__
from genlab.config import RunConfig, config_from_json
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.fileio import atomic_write_json

CONFIG_FORMAT = 1  # raise when config.json changes in a way an older genlab would misread


def write_config_file(run_dir: Path, cfg: RunConfig, info: DataInfo, budget: str) -> None:
    """Write run_dir/config.json atomically."""
    atomic_write_json(Path(run_dir) / "config.json", {
        "format": CONFIG_FORMAT, "genlab_version": __version__, **cfg.to_json(), "data_info": info.to_json(),
        "budget": budget, "effective_batch_size": cfg.train.batch_size * cfg.train.grad_accum})


def read_config_file(run_dir: Path) -> RunConfig:
    """The RunConfig in run_dir/config.json; a one-line ConfigError if it is unreadable, corrupt or newer."""
    path = Path(run_dir) / "config.json"
    try:
        d = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing (not a run folder?)") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ConfigError(f"{path}: corrupt or unreadable ({e})") from None
    if not isinstance(d, dict):
        raise ConfigError(f"{path}: corrupt (not a JSON object)")
    fmt = d.get("format", 1)
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt > CONFIG_FORMAT:
        raise ConfigError(f"{path}: written by genlab {d.get('genlab_version', '?')} in config format {fmt!r}; "
                          f"this genlab ({__version__}) reads format {CONFIG_FORMAT} and older: upgrade genlab")
    try:
        return config_from_json(d)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ConfigError(f"{path}: not a genlab run config ({type(e).__name__}: {e})") from None
