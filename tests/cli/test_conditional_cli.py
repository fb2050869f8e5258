"""`genlab train --conditional`, `genlab sample --label/--labels/--guidance` and their one-line errors (exit 2)."""

import json

import numpy as np
import pytest

from genlab.cli import main

QUIET = ["--quiet", "--set", "train.batch_size=32", "--set", "train.eval_every=0", "--set", "train.sample_every=0"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A conditional ddpm, a conditional vae and an unconditional vae on ring8, a few steps each."""
    out = tmp_path_factory.mktemp("runs")
    # The DDPM without the points profile's Fourier features: an untrained network over sin(2^7 pi x) turns the
    # last-bit differences between batch sizes' matmul kernels into different samples after 100 steps, which
    # would hide what the test checks (per-image seeds); trained, the features are smooth where the data is.
    ddpm_flags = ["--conditional", "--set", "model.octaves=0"]
    for family, flags in (("ddpm", ddpm_flags), ("vae", ["--conditional"]), ("vae", [])):
        assert main(["train", family, "--data", "ring8", "--steps", "3", "--out", str(out), *QUIET, *flags]) == 0
    return {name: out / name for name in ("00000-ddpm-ring8", "00001-vae-ring8", "00002-vae-ring8")}


def _sample(run, out, *flags):
    return main(["sample", str(run), "--n", "6", "--out", str(out), *flags])


def test_conditional_runs_sample_the_labels_asked_for(runs, tmp_path):
    ddpm, cvae = runs["00000-ddpm-ring8"], runs["00001-vae-ring8"]
    assert json.loads((ddpm / "config.json").read_text())["model"]["conditional"] is True
    for run, flags in ((ddpm, ["--label", "2", "--guidance", "1.5"]), (ddpm, ["--label", "null"]),
                       (ddpm, ["--labels", "0,7"]), (cvae, ["--label", "all", "--temperature", "0.5"])):
        assert _sample(run, tmp_path / "s.npz", *flags) == 0
        assert np.load(tmp_path / "s.npz")["samples"].shape == (6, 2)
    # image k of --labels 0,7 is image k of --label 0 (k even) or --label 7 (k odd), whatever the batch size
    assert _sample(ddpm, tmp_path / "a.npz", "--labels", "0,7", "--batch-size", "4") == 0
    assert _sample(ddpm, tmp_path / "b.npz", "--label", "7", "--batch-size", "5") == 0
    a, b = np.load(tmp_path / "a.npz")["samples"], np.load(tmp_path / "b.npz")["samples"]
    np.testing.assert_allclose(a[1::2], b[1::2], rtol=1e-5, atol=1e-5)
    assert not np.allclose(a[0::2], b[0::2])


@pytest.mark.parametrize("run, flags, needle", [
    ("00002-vae-ring8", ["--label", "1"], "--label: this vae run is unconditional"),
    ("00000-ddpm-ring8", ["--label", "8"], "--label 8: out of range; this run has 8 classes (0-7, or null)"),
    ("00001-vae-ring8", ["--labels", "0,-3"], "--label -3: out of range; this run has 8 classes (0-7)"),
    ("00001-vae-ring8", ["--label", "null"], "--label null: a conditional vae has no null class"),
    ("00001-vae-ring8", ["--label", "two"], "expected class numbers"),
    ("00001-vae-ring8", ["--guidance", "2"], "--guidance needs a class-conditional diffusion run"),
    ("00002-vae-ring8", ["--guidance", "2"], "--guidance needs a class-conditional diffusion run"),
])
def test_label_errors_are_one_line_and_exit_2(runs, tmp_path, capsys, run, flags, needle):
    capsys.readouterr()
    assert _sample(runs[run], tmp_path / "s.npz", *flags) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and not (tmp_path / "s.npz").exists()


def test_conditional_on_data_without_labels_is_refused_before_any_folder(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["train", "ddpm", "--data", "swissroll", "--steps", "2", "--out", str(out), "--conditional",
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "needs data with class labels; 'swissroll' has none" in err and err.count("\n") == 1
    assert not out.exists() or not any(out.iterdir())
