"""The defaults per kind of data (models/defaults.py): which profile a dataset gets, the layering around it,
its record in config.json, and the README's copy of the table."""

import re
from pathlib import Path

import pytest

from genlab.config import config_from_json, run_config
from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.defaults import DEFAULTS, KINDS, data_kind, defaults_markdown
from genlab.models.registry import FAMILY_NAMES, families_for

RING8 = DataInfo("ring8", "points", (2,), None, 8)
DIGITS = DataInfo("digits", "image", (1, 8, 8), 17, 10)
CIFAR = DataInfo("cifar10", "image", (3, 32, 32), 256, 10)
FACES = DataInfo("faces", "image", (3, 64, 64), 256)


def test_kind_of_data():
    assert [data_kind(i) for i in (RING8, DIGITS, CIFAR, FACES)] == ["points", "small-images", "small-images",
                                                                      "images"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_fitting_family_has_a_valid_profile_for_every_kind(family, kind):
    info = {"points": RING8, "small-images": DIGITS, "images": FACES}[kind]
    if family not in families_for(info.kind):
        assert (family, kind) not in DEFAULTS
        return
    assert (family, kind) in DEFAULTS  # one row per (family, kind): nothing left to chance
    cfg = run_config(family, data_info=info)  # unknown keys or wrong types in the table would raise here
    assert cfg.defaults == f"{family}/{kind}"
    entry = DEFAULTS[(family, kind)]
    for key, value in entry["train"].items():
        assert getattr(cfg.train, key) == (tuple(value) if isinstance(value, list) else value)
    for key, value in entry["model"].items():
        assert getattr(cfg.model, key) == value


def test_layering_class_defaults_profile_file_set_flags():
    plain = run_config("gan")
    assert plain.defaults is None and plain.model.latent_dim == 64  # no data info: the class defaults
    cfg = run_config("gan", data_info=RING8)
    assert (cfg.model.latent_dim, cfg.train.batch_size, cfg.train.ema_decay) == (2, 256, 0.99)
    assert cfg.train.warmup_steps == 0  # the family's default_train, below the profile
    file = {"model": {"latent_dim": 3}, "train": {"batch_size": 100}}
    cfg = run_config("gan", file=file, data_info=RING8)
    assert (cfg.model.latent_dim, cfg.train.batch_size) == (3, 100)
    cfg = run_config("gan", file=file, sets=["model.latent_dim=5", "train.batch_size=50"], data_info=RING8)
    assert (cfg.model.latent_dim, cfg.train.batch_size) == (5, 50)
    cfg = run_config("gan", sets=["train.batch_size=50"], train={"batch_size": 20}, data_info=RING8)
    assert cfg.train.batch_size == 20
    with pytest.raises(ConfigError, match="model.latent_dimm"):
        run_config("gan", sets=["model.latent_dimm=5"], data_info=RING8)


def test_the_profile_travels_in_config_json():
    cfg = run_config("ddpm", data_info=RING8)
    back = config_from_json(cfg.to_json())
    assert back.defaults == "ddpm/points" and back.train == cfg.train and back.model == cfg.model
    old = cfg.to_json()
    del old["defaults"]  # a run written before profiles existed
    assert config_from_json(old).defaults is None
    with pytest.raises(ConfigError, match="defaults"):
        config_from_json({**cfg.to_json(), "defaults": 3})


def test_the_readme_prints_the_table():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = re.search(r"^### Defaults per kind of data\n(.*?)(?=^#)", readme, flags=re.MULTILINE | re.DOTALL)
    assert section, "README.md needs a section '### Defaults per kind of data'"
    assert defaults_markdown() in section.group(1), "README's table differs from models/defaults.py: paste " \
        "the output of `python -c 'from genlab.models.defaults import defaults_markdown; print(defaults_markdown())'`"


def test_a_profile_value_yields_to_a_formulation_it_does_not_apply_to():
    """The image profile's v-prediction (issue 21) is a default of the DDPM formulation: `--set
    model.formulation=edm` (with its own target and weighting) must still work, and an explicit target must not."""
    assert run_config("ddpm", data_info=DIGITS).model.prediction == "v"
    edm = run_config("ddpm", sets=["model.formulation=edm"], data_info=DIGITS)
    assert (edm.model.formulation, edm.model.prediction) == ("edm", "eps")
    assert run_config("ddpm", file={"model": {"formulation": "edm"}}, data_info=CIFAR).model.prediction == "eps"
    from genlab.models.diffusion.model import DDPM

    DDPM(edm.model, DIGITS)
    explicit = run_config("ddpm", sets=["model.formulation=edm", "model.prediction=v"], data_info=DIGITS)
    with pytest.raises(ConfigError, match="edm"):
        DDPM(explicit.model, DIGITS)
