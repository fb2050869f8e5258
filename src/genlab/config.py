"""Run configuration: typed dataclasses, loadable from TOML, overridable with `--set key=value`.

A run config has three tables, [data], [train] and [model] (the family's own dataclass). Unknown
keys and values of the wrong type are errors that name the key (nanoGPT-style overrides, but
type-checked).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genlab.coerce import coerce_value, update_dataclass
from genlab.coerce import short_repr as _short
from genlab.data.config import DataConfig
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.defaults import profile
from genlab.models.registry import FAMILY_NAMES, get_family

__all__ = ["DataConfig", "RunConfig", "TrainConfig", "build_config", "coerce_value", "config_from_json", "parse_set",
           "run_config", "update_dataclass"]


@dataclass
class TrainConfig:
    # Budget: exactly one of steps / images / budget (wall clock). None of them -> `steps` default.
    steps: int | None = None
    images: int | None = None
    budget: str | None = None  # "40s", "10m", "2h"
    batch_size: int = 128  # global micro-batch: split across DDP ranks
    grad_accum: int = 1  # micro-batches per optimizer step: the effective batch is batch_size * grad_accum
    lr: float = 2e-4
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    warmup_steps: int = 100  # linear learning-rate warm-up
    lr_schedule: str = "constant"  # constant | cosine | linear: decay to 0 over the budget (train/lr_schedule.py)
    grad_clip: float = 1.0  # max global grad norm per optimizer group; 0 = off
    ema_decay: float = 0.999
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = "auto"  # auto (bf16 autocast on CUDA, fp32 on CPU) | fp32 | bf16 | fp16 (with loss scaling)
    log_every: int = 10
    sample_every: int = 500
    checkpoint_every: int = 500  # steps; 0 = off
    checkpoint_minutes: float = 5.0  # also after this many minutes of this process's wall clock; 0 = off
    eval_every: int = 250  # family diagnostics (e.g. GAN mode coverage on 2-D mixtures); 0 = off
    keep_checkpoints: int = 2
    n_grid: int = 64  # samples in each saved grid (2-D data: at least 1000 points per scatter)
    trackers: str = ""  # beside metrics.jsonl: "tensorboard", "wandb" or both, comma-separated (--log)


LR_SCHEDULES = ("constant", "cosine", "linear")  # train/lr_schedule.py computes them
DEFAULT_STEPS = 2000
DEFAULT_COMPARE_BUDGET = "70s"  # per family: four families, evaluation included, stay within 10 minutes on 2 cores


@dataclass
class RunConfig:
    family: str
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    model: Any = None  # the family's config dataclass
    defaults: str | None = None  # the per-kind profile applied (models/defaults.py), e.g. "gan/points"

    def to_json(self) -> dict:
        return {"family": self.family, "defaults": self.defaults, "data": dataclasses.asdict(self.data),
                "train": dataclasses.asdict(self.train), "model": dataclasses.asdict(self.model)}


def parse_duration(text: str) -> float:
    """'40s' | '10m' | '2h' | '1h30m' -> seconds."""
    m = re.fullmatch(r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*", text or "")
    if not text or not m or not any(m.groups()):
        raise ConfigError(f"train.budget: cannot read duration '{text}' (use e.g. 40s, 10m, 2h)")
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def parse_set(items: list[str]) -> dict[str, dict[str, str]]:
    """['train.lr=1e-3', 'model.beta=4'] -> {'train': {'lr': '1e-3'}, 'model': {'beta': '4'}}."""
    out: dict[str, dict[str, str]] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.key=value (e.g. train.lr=1e-3)")
        key, value = item.split("=", 1)
        if "." not in key:
            raise ConfigError(f"--set {item!r}: the key must name its section: data., train. or model.")
        section, name = key.strip().split(".", 1)
        if section not in ("data", "train", "model"):
            raise ConfigError(f"unknown config section '{section}' in --set {item!r} (data, train, model)")
        out.setdefault(section, {})[name.strip()] = value.strip()
    return out


def load_toml(path: str | Path) -> dict:
    """A config file's tables; ConfigError names the file for bad bytes, bad TOML, or a misplaced value."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {p}")
    try:
        d = tomllib.loads(p.read_bytes().decode("utf-8"))
    except OSError as e:
        raise ConfigError(f"{p}: cannot read ({e.strerror or e})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise ConfigError(f"{p}: not valid TOML ({_short(e, 200)})") from None
    for k, v in d.items():
        if k not in ("family", "data", "train", "model"):
            raise ConfigError(f"{p}: unknown config section '{k}' (family, data, train, model)")
        if k == "family" and not isinstance(v, str):
            raise ConfigError(f"{p}: family must be a string such as \"vae\", got {_short(v)}")
        if k != "family" and not isinstance(v, dict):
            raise ConfigError(f"{p}: '{k}' must be a table ([{k}]), got {_short(v)}")
    return d


def build_config(family: str, model_cls: type, model_cfg_cls: type, *, file: dict | None = None,
                 sets: dict | None = None, cli: dict | None = None, kind: dict | None = None) -> RunConfig:
    """Defaults < the family's default_train < the per-kind profile `kind` < config file < --set < CLI flags."""
    data, train, model = DataConfig(), TrainConfig(), model_cfg_cls()
    train = update_dataclass(train, dict(getattr(model_cls, "default_train", {})), "train")
    if kind and hasattr(model_cls, "profile_yields"):  # a profile value a higher layer's choice makes inapplicable
        upper = {k: v for layer in (file, sets, cli) for k, v in (layer or {}).get("model", {}).items()}
        drop = set(model_cls.profile_yields(upper))
        kind = {**kind, "model": {k: v for k, v in kind.get("model", {}).items() if k not in drop}}
    for layer in (kind or {}, file or {}, sets or {}, cli or {}):
        data = update_dataclass(data, layer.get("data", {}), "data")
        train = update_dataclass(train, layer.get("train", {}), "train")
        model = update_dataclass(model, layer.get("model", {}), "model")
    cfg = RunConfig(family, data, train, model)
    validate(cfg)
    return cfg


def family_sets(items: list[str], family: str) -> list[str]:
    """Compare's per-family overrides: 'vae.model.latent_dim=8' -> 'model.latent_dim=8' for the vae, other
    families' items dropped; the rest of the grammar is parse_set's."""
    out = []
    for item in items:
        fam, _, rest = item.partition(".")
        if fam not in FAMILY_NAMES or not rest:
            raise ConfigError(f"--set {item!r}: expected FAMILY.section.key=value, e.g. vae.model.latent_dim=8")
        if fam == family:
            out.append(rest)
    return out


def run_config(family: str, *, file: dict | None = None, sets: list[str] = (), data: dict | None = None,
               train: dict | None = None, data_info: DataInfo | None = None) -> RunConfig:
    """One run's config, as `genlab train` and `genlab compare` build it: family defaults < the profile of
    `data_info`'s kind of data (models/defaults.py) < TOML file < --set items < explicit flags (data/train)."""
    model_cls, cfg_cls = get_family(family)
    if file and file.get("family", family) != family:
        raise ConfigError(f"config file is for '{file['family']}', not '{family}'")
    cli = {"data": dict(data or {}), "train": dict(train or {})}
    name, values = profile(family, data_info) if data_info is not None else (None, None)
    return dataclasses.replace(build_config(family, model_cls, cfg_cls, file=file, sets=parse_set(list(sets)),
                                            cli=cli, kind=values), defaults=name)


TRACKERS = ("tensorboard", "wandb")


def tracker_names(text: str) -> list[str]:
    """The trackers of a comma-separated `train.trackers` value ('' or 'none': none); ConfigError on a bad name."""
    names = [n.strip() for n in text.split(",") if n.strip() and n.strip() != "none"]
    bad = [n for n in names if n not in TRACKERS]
    if bad:
        raise ConfigError(f"train.trackers: unknown tracker '{bad[0]}' (choose from {', '.join(TRACKERS)})")
    return names


def validate(cfg: RunConfig) -> None:
    t = cfg.train
    chosen = [k for k in ("steps", "images", "budget") if getattr(t, k) is not None]
    if len(chosen) > 1:
        raise ConfigError(f"train: give one budget, not {' and '.join(chosen)}")
    if t.budget is not None:
        parse_duration(t.budget)
    for k in ("steps", "images", "batch_size", "grad_accum"):
        if (v := getattr(t, k)) is not None and v <= 0:
            raise ConfigError(f"train.{k}: must be positive, got {v}")
    for k in ("warmup_steps", "sample_every", "checkpoint_every", "eval_every", "keep_checkpoints", "n_grid"):
        if getattr(t, k) < 0:
            raise ConfigError(f"train.{k}: cannot be negative, got {getattr(t, k)}")
    if t.log_every < 1:
        raise ConfigError(f"train.log_every: must be at least 1, got {t.log_every}")
    if not 0.0 <= t.ema_decay < 1.0:
        raise ConfigError(f"train.ema_decay: must be in [0, 1), got {t.ema_decay}")
    if t.checkpoint_minutes < 0 or t.checkpoint_every < 0:
        raise ConfigError("train.checkpoint_every and train.checkpoint_minutes: must be >= 0 (0 = off)")
    tracker_names(t.trackers)
    if t.lr_schedule not in LR_SCHEDULES:
        raise ConfigError(f"train.lr_schedule: choose {', '.join(LR_SCHEDULES)}, got '{t.lr_schedule}'")
    if t.precision not in ("auto", "fp32", "bf16", "fp16"):
        raise ConfigError(f"train.precision: choose auto, fp32, bf16 or fp16, got '{t.precision}'")
    for f in dataclasses.fields(cfg.model) if dataclasses.is_dataclass(cfg.model) else ():
        # The families' integer options are sizes, counts and step numbers: one whose default is not
        # negative (a -1 default would be an "off" sentinel) may not be set negative.
        if not _negative(f.default) and _negative(v := getattr(cfg.model, f.name)):
            raise ConfigError(f"model.{f.name}: sizes and counts cannot be negative, got {v}")


def _negative(v: Any) -> bool:
    """True if v, or an element of the tuple v, is a negative int."""
    return any(isinstance(x, int) and not isinstance(x, bool) and x < 0 for x in (v if isinstance(v, tuple) else (v,)))


def config_from_json(d: dict) -> RunConfig:
    """Rebuild a RunConfig from its JSON form (as stored in checkpoints); ConfigError if it is malformed."""
    if not isinstance(d, dict) or not isinstance(d.get("family"), str):
        raise ConfigError(f"a run config must be an object with a string 'family', got {_short(d)}")
    _, model_cfg_cls = get_family(d["family"])
    model = d.get("model")
    if d["family"] == "ldm" and isinstance(model, dict) and "diffusion" not in model:
        # runs written before LDMConfig nested DDPMConfig kept the latent DDPM's keys at the top level
        own = {f.name for f in dataclasses.fields(model_cfg_cls)}
        model = dict(model)
        model["diffusion"] = {k: model.pop(k) for k in list(model) if k not in own}
    if d["family"] == "vae" and isinstance(model, dict) and "upsample" not in model:
        model = {**model, "upsample": "nearest"}  # VAE runs written before the sub-pixel decoder became the default
    return RunConfig(d["family"], update_dataclass(DataConfig(), d.get("data"), "data"),
                     update_dataclass(TrainConfig(), d.get("train"), "train"), update_dataclass(
                         model_cfg_cls(), model, "model"), coerce_value(d.get("defaults"), str | None, "defaults"))
