"""measure_uses on every family after a few training steps on digits: every section present and well formed;
OOD data that gets a higher likelihood is reported (Nalisnick et al. 2019)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from genlab.data import load_dataset
from genlab.evaluation.anomaly import anomaly_detection
from genlab.evaluation.ood import ood_sets
from genlab.evaluation.uses import measure_uses

sys.path.insert(0, str(Path(__file__).parents[1]))
from defaults_runs import train_with_defaults  # noqa: E402


@pytest.fixture(scope="module", params=["vae", "gan", "ddpm", "ldm"])
def uses(request, tmp_path_factory):
    tr = train_with_defaults(request.param, "digits", 0, 8, tmp_path_factory.mktemp(request.param))
    return request.param, measure_uses(tr.ema, tr.data, n=60, n_probe_train=200, t_subset=8, steps=4)


def test_every_section_is_measured(uses):
    family, u = uses
    assert set(u) >= {"anomaly", "compression", "representations", "bottleneck"}
    assert set(u["anomaly"]["sets"]) == {"flipped", "inverted", "shuffled"}
    expected = {"vae": {"nll", "typicality", "recon"}, "gan": {"disc"}, "ddpm": {"nll", "typicality"},
                "ldm": {"nll", "typicality", "recon"}}[family]
    assert set(u["anomaly"]["scores"]) == expected
    for rec in u["anomaly"]["scores"].values():
        for d in rec["sets"].values():
            assert 0.0 <= d["auroc"] <= 1.0 and 0.0 <= d["fpr95"] <= 1.0
    reps = u["representations"]
    assert "pixels" in reps and all(0.0 <= r["accuracy"] <= 1.0 for r in reps.values())
    b = u["bottleneck"]
    if family == "gan":
        assert b["available"] is False
    else:
        assert b["data_dim"] == 64 and b["mse"] >= 0.0
    if family in ("vae", "ldm"):
        assert 0 <= b["active_units"] <= b["latent_dim"]
        assert u["compression"]["point"]["rate_bits"] >= 0.0
    if family == "ddpm":
        assert b["ratio"] == 1.0 and set(reps) == {"ddim_xT", "bottleneck", "pixels"}


class _SquaredNorm(torch.nn.Module):
    """A stand-in density: NLL = mean x^2, so shrunken images look more likely than the data."""

    family, conditional = "ddpm", False

    def log_likelihood(self, x, generator=None, t_subset=None):
        return x.flatten(1).pow(2).mean(1)


def test_higher_likelihood_of_ood_data_is_reported():
    data = load_dataset("digits")
    x = data.test[:100]
    sets = {"shrunk": {"what": "0.1 x", "x": 0.1 * x}}
    out = anomaly_detection(_SquaredNorm(), x, data.train[:100], sets, torch.device("cpu"))
    assert out["scores"]["nll"]["sets"]["shrunk"]["auroc"] < 0.5
    assert len(out["higher_likelihood_ood"]) == 1 and "shrunk" in out["higher_likelihood_ood"][0]


def test_ood_sets_are_labelled_and_shaped_like_the_data():
    data = load_dataset("digits")
    sets = ood_sets(data, 50)
    for s in sets.values():
        assert s["x"].shape == data.test[:50].shape and s["what"]
    shuffled = sets["shuffled"]["x"]
    assert torch.equal(shuffled.flatten(1).sort(1).values, data.test[:50].flatten(1).sort(1).values)


def _write_idx(d, rng, n):
    import gzip
    import struct

    d.mkdir(parents=True)
    for split, count in (("train", n), ("t10k", n)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        (d / f"{split}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes()))
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        (d / f"{split}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(struct.pack(">II", 2049, count)
                                                                        + labels.tobytes()))


def test_fashion_mnist_is_the_ood_set_of_mnist_when_on_disk(tmp_path):
    rng = np.random.default_rng(0)
    _write_idx(tmp_path / "mnist", rng, 12)
    mnist = load_dataset("mnist", data_dir=str(tmp_path))
    notes = []
    assert "fashion-mnist" not in ood_sets(mnist, 10, data_dir=str(tmp_path), notes=notes)
    assert notes and "Fashion-MNIST" in notes[0]
    _write_idx(tmp_path / "fashion-mnist", rng, 12)
    sets = ood_sets(mnist, 10, data_dir=str(tmp_path))
    assert sets["fashion-mnist"]["x"].shape == (10, 1, 28, 28)
    assert set(sets) == {"fashion-mnist", "flipped", "inverted", "shuffled"}
