"""Fuzz config loading: TOML files (byte mutants, invalid UTF-8, values of every type), `--set` strings,
and the JSON form stored in run folders. Each must give a RunConfig or a ConfigError."""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
from pathlib import Path

import pytest
import torch
from fuzzing import check_outcome, fuzz_settings, json_values, mutants
from hypothesis import given
from hypothesis import strategies as st

from genlab.cli import main
from genlab.config import DataConfig, RunConfig, TrainConfig, build_config, config_from_json, load_toml, parse_set
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.registry import FAMILIES, get_family
from genlab.train.trainer import build_model

BASE_TOML = b"""family = "vae"
[data]
name = "ring8"
image_size = 8
[train]
steps = 3
lr = 1e-3
betas = [0.5, 0.9]
budget = "1m30s"
[model]
beta = 2.0
channel_mult = [1, 2]
"""
FIELDS = {"data": [f.name for f in dataclasses.fields(DataConfig)],
          "train": [f.name for f in dataclasses.fields(TrainConfig)],
          "model": sorted({f.name for fam in FAMILIES for f in dataclasses.fields(get_family(fam)[1])})}


def _valid_config(cfg) -> None:
    assert isinstance(cfg, RunConfig)
    for section in (cfg.data, cfg.train, cfg.model):
        for f in dataclasses.fields(section):
            v = getattr(section, f.name)
            assert not isinstance(v, float) or math.isfinite(v), (f.name, v)


def _build(family: str, file=None, sets=None):
    model_cls, cfg_cls = get_family(family)
    return build_config(family, model_cls, cfg_cls, file=file, sets=sets)


def _from_toml(data: bytes, family: str = "vae"):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "c.toml"
        p.write_bytes(data)
        return check_outcome(lambda: _build(family, file=load_toml(p)), _valid_config)


@fuzz_settings(300)
@given(mutants(BASE_TOML))
def test_toml_byte_mutants(data):
    _from_toml(data)


def _toml(v) -> str:
    """A value written as TOML (tables inline); floats include nan and inf."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(x)}" for k, x in v.items() if x is not None) + "}"
    return '""'


sections = st.sampled_from(["data", "train", "model", "family", "extra"])
keys = st.one_of(st.sampled_from(sorted({k for ks in FIELDS.values() for k in ks})), st.text(max_size=6))
tables = st.dictionaries(sections, st.one_of(st.dictionaries(keys, json_values, max_size=4), json_values),
                         max_size=4)


@fuzz_settings(300)
@given(tables, st.sampled_from(sorted(FAMILIES)))
def test_toml_values_of_every_type(doc, family):
    lines = []
    for section, body in doc.items():
        if isinstance(body, dict):
            lines.append(f"[{section}]")
            lines += [f"{json.dumps(k)} = {_toml(v)}" for k, v in body.items() if v is not None]
        elif body is not None:
            lines.insert(0, f"{section} = {_toml(body)}")
    _from_toml("\n".join(lines).encode("utf-8", "surrogatepass"), family)


set_items = st.one_of(
    st.builds(lambda s, k, v: f"{s}.{k}={v}", st.sampled_from(sorted(FIELDS)), keys,
              st.one_of(st.text(max_size=12), st.sampled_from(["nan", "inf", "-1", "0", "1e999", "none", "()",
                                                               "1,2", "[1, 2]", "true", "9" * 5000]))),
    st.text(max_size=20))


@fuzz_settings(300)
@given(st.lists(set_items, max_size=4), st.sampled_from(sorted(FAMILIES)))
def test_set_strings(items, family):
    check_outcome(lambda: _build(family, sets=parse_set(items)), _valid_config)


BASE_JSON = _build("vae").to_json()


@st.composite
def json_mutants(draw, base: dict):
    """The JSON config with a value at some path replaced by any JSON value, or a key deleted."""
    doc = json.loads(json.dumps(base))
    node = doc
    for _ in range(draw(st.integers(0, 2))):
        if not isinstance(node, dict) or not node:
            break
        k = draw(st.sampled_from(sorted(node)))
        if not isinstance(node[k], dict) or draw(st.booleans()):
            if draw(st.booleans()):
                node[k] = draw(json_values)
            else:
                del node[k]
            return doc
        node = node[k]
    return draw(json_values) if draw(st.integers(0, 9)) == 0 else doc


@fuzz_settings(300)
@given(json_mutants(BASE_JSON))
def test_config_from_json(doc):
    check_outcome(lambda: config_from_json(doc), _valid_config)


small_values = st.one_of(st.integers(-2, 9), st.sampled_from(["", "auto", "none", "1,2", "()", "x"]),
                         st.floats(-2, 2, allow_subnormal=False), st.booleans())


@fuzz_settings(150)
@given(st.sampled_from(sorted(FAMILIES)), st.dictionaries(st.sampled_from(FIELDS["model"]), small_values, max_size=3),
       st.sampled_from([DataInfo("img", "image", (1, 8, 8), 256), DataInfo("pts", "points", (2,), None)]))
def test_model_options_build_or_refuse(family, model, info):
    """Small odd values for the model's options: the config is refused, or the model builds (on the meta
    device, so nothing is allocated), or its constructor refuses it with a ConfigError."""
    def build():
        cfg = _build(family, sets={"model": {k: str(v) for k, v in model.items()}})
        with torch.device("meta"):
            return build_model(cfg, info)

    check_outcome(build, lambda m: None)


TRAIN_KEYS = sorted(set(FIELDS["train"]) - {"steps", "images", "budget", "device"})  # keep each case short


@fuzz_settings(30, deadline_ms=10_000)  # a run's end (diagnostics, figures: 100-step DDPM sampling) takes seconds
@given(st.sampled_from(["vae", "gan", "ddpm"]),
       st.dictionaries(st.sampled_from([f"train.{k}" for k in TRAIN_KEYS] + [f"model.{k}" for k in FIELDS["model"]]),
                       small_values, max_size=3))
def test_options_train_or_refuse(family, options):
    """`genlab train` for 2 steps with odd option values: it trains (exit 0) or refuses in one line (exit 2)."""
    with tempfile.TemporaryDirectory() as d:
        sets = [a for k, v in options.items() for a in ("--set", f"{k}={v}")]
        rc = main(["train", family, "--data", "ring8", "--steps", "2", "--out", d, "--quiet", *sets])
    torch.set_flush_denormal(False)  # main() flushes subnormals process-wide; hypothesis needs them
    assert rc in (0, 2)


def test_nan_and_inf_are_not_numbers_of_a_config():
    for text in ("nan", "inf", "-inf", "1e999"):
        with pytest.raises(ConfigError, match=r"train\.lr: expected a finite number"):
            _build("vae", sets=parse_set([f"train.lr={text}"]))


# Regressions: each of these once ended in a traceback and was found by the tests above.

@pytest.mark.parametrize("text", ["data = []", "train = 3", 'model = "x"'])
def test_toml_section_that_is_not_a_table(tmp_path, text):
    """`data = []` reached update_dataclass, which called .items() on a list: AttributeError."""
    p = tmp_path / "c.toml"
    p.write_text(text + "\n")
    with pytest.raises(ConfigError, match="c.toml: "):
        _build("vae", file=load_toml(p))


@pytest.mark.parametrize("doc", [None, [], {"family": []}, {"family": "vae"}, {"data": {}, "train": {}, "model": {}},
                                 {"family": "vae", "data": None, "train": {}, "model": {}}])
def test_json_config_of_the_wrong_shape(doc):
    """KeyError, TypeError ('unhashable type: list', 'NoneType is not subscriptable') from config_from_json."""
    with pytest.raises(ConfigError):
        config_from_json(doc)


def test_invalid_utf8_toml(tmp_path):
    p = tmp_path / "c.toml"
    p.write_bytes(b'[train]\nbudget = "\xff"\n')
    with pytest.raises(ConfigError, match="c.toml: not valid TOML"):
        load_toml(p)


@pytest.mark.parametrize("family, data, item", [
    ("ddpm", "digits", "model.dropout=-1"),  # ValueError from nn.Dropout in the U-Net
    ("ddpm", "digits", "model.blocks_per_level=-1"),  # ValueError from the U-Net
    ("gan", "ring8", "model.g_width=-1"),  # RuntimeError: negative dimension
    ("vae", "ring8", "model.hidden=-1"),
    ("vae", "ring8", "train.log_every=0"),  # ZeroDivisionError in the training loop
    ("vae", "ring8", "train.n_grid=-1"),  # RuntimeError when the sample grid is drawn
    ("vae", "ring8", "train.lr=-1"),  # ValueError from AdamW
])
def test_option_values_a_model_or_the_trainer_refuses(tmp_path, capsys, family, data, item):
    """Each of these reached torch or the loop and ended in a traceback instead of a one-line error."""
    rc = main(["train", family, "--data", data, "--steps", "2", "--out", str(tmp_path), "--quiet", "--set", item])
    torch.set_flush_denormal(False)
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("genlab: error: ") and err.count("\n") == 1
