import pytest

from genlab.config import TrainConfig, build_config, load_toml, parse_duration, parse_set, update_dataclass
from genlab.errors import ConfigError
from toy_family import Toy, ToyConfig


def test_set_overrides_are_typed():
    sets = parse_set(["train.lr=1e-3", "train.betas=0.5,0.9", "model.width=4", "train.budget=10m",
                      "train.steps=none"])
    cfg = build_config("toy", Toy, ToyConfig, sets=sets)
    assert cfg.train.lr == 1e-3 and cfg.train.betas == (0.5, 0.9) and cfg.model.width == 4
    assert cfg.train.budget == "10m" and cfg.train.steps is None


def test_family_defaults_sit_under_file_and_set(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('[train]\nlr = 0.5\nbatch_size = 8\n[model]\nwidth = 3\n')
    cfg = build_config("toy", Toy, ToyConfig, file=load_toml(f), sets=parse_set(["train.lr=0.25"]))
    assert cfg.train.lr == 0.25  # --set beats the file
    assert cfg.train.batch_size == 8  # the file beats the family default (16)
    assert cfg.train.warmup_steps == 3  # family default beats the global default
    assert cfg.model.width == 3


@pytest.mark.parametrize("item, needle", [
    ("train.lrr=1", "train.lrr"),
    ("model.nope=1", "model.nope"),
    ("train.steps=ten", "train.steps"),
    ("train.lr=fast", "train.lr"),
    ("model.two_groups=maybe", "model.two_groups"),
    ("optim.lr=1", "optim"),
    ("lr=1", "section"),
])
def test_bad_overrides_name_the_key(item, needle):
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        build_config("toy", Toy, ToyConfig, sets=parse_set([item]))


def test_toml_unknown_section_and_bad_syntax(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text("[optimizer]\nlr = 1\n")
    with pytest.raises(ConfigError, match="optimizer"):
        load_toml(f)
    f.write_text("[train\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_toml(f)
    with pytest.raises(ConfigError, match="not found"):
        load_toml(tmp_path / "missing.toml")


def test_one_budget_only_and_durations():
    with pytest.raises(ConfigError, match="one budget"):
        build_config("toy", Toy, ToyConfig, cli={"train": {"steps": 3, "budget": "1m"}})
    assert parse_duration("40s") == 40 and parse_duration("10m") == 600 and parse_duration("2h") == 7200
    assert parse_duration("1h30m") == 5400
    with pytest.raises(ConfigError, match="duration"):
        parse_duration("ten minutes")


def test_int_field_rejects_bool_and_fraction():
    with pytest.raises(ConfigError):
        update_dataclass(TrainConfig(), {"steps": 2.5}, "train")
    with pytest.raises(ConfigError):
        update_dataclass(TrainConfig(), {"steps": True}, "train")


def test_ldm_nests_the_ddpm_config_and_reads_runs_written_before():
    """--set model.diffusion.KEY reaches the latent DDPM's config; a wrong sub-key is named; a config.json
    written before the nesting (the DDPM's keys at the top of [model]) still loads."""
    from genlab.config import config_from_json, run_config

    cfg = run_config("ldm", sets=["model.diffusion.steps=7", "model.kl_weight=0.5"])
    assert cfg.model.diffusion.steps == 7 and cfg.model.kl_weight == 0.5
    assert cfg.model.diffusion.prediction == "v"  # the latent defaults, not the pixel DDPM's
    with pytest.raises(ConfigError, match="'model.diffusion.stepz'"):
        run_config("ldm", sets=["model.diffusion.stepz=7"])
    with pytest.raises(ConfigError, match="'model.kl_weight.x'"):
        run_config("ldm", sets=["model.kl_weight.x=1"])
    old = cfg.to_json()
    old["model"] = {**{k: v for k, v in old["model"].items() if k != "diffusion"}, **old["model"]["diffusion"]}
    assert config_from_json(old).model == cfg.model
