"""`genlab score`: held-out real digits score at the floor in every space; a blurred copy scores worse in
every calibrated space; the JSON holds the full protocol."""

import json

import numpy as np
import torch

from genlab.cli import main
from genlab.data import load_dataset
from genlab.evaluation.calibration import gaussian_blur
from genlab.visual import to_uint8


def _write(path, x):
    np.savez(path, samples=to_uint8(x))
    return str(path)


def test_score_real_at_the_floor_and_blur_worse(tmp_path, capsys):
    data = load_dataset("digits")
    real = _write(tmp_path / "real.npz", data.test)
    blurred = _write(tmp_path / "blur.npz", gaussian_blur(data.test, 0.7))
    assert main(["score", real, "--data", "digits", "--out", str(tmp_path / "real.json")]) == 0
    assert main(["score", blurred, "--data", "digits", "--out", str(tmp_path / "blur.json")]) == 0
    out = capsys.readouterr().out
    assert "trained (genlab-cnn-v2): FD" in out and "pixels (pixels-pca64): FD" in out
    r, b = (json.loads((tmp_path / f).read_text()) for f in ("real.json", "blur.json"))
    assert r["protocol"]["reference_split"] == "train" and set(r["spaces"]) == {"trained", "pixels"}
    for space in ("trained", "pixels"):
        fr, fl, fb = r["spaces"][space]["fidelity"], r["spaces"][space]["floor"], b["spaces"][space]["fidelity"]
        assert r["spaces"][space]["calibration"]["passed"]
        # the held-out split is what the floor measures: the same number, up to the levels it is stored at
        assert abs(fr["fd"] - fl["fd"]) <= 1.96 * (fr["fd_se"] + fl["fd_se"])
        assert fb["fd"] - fr["fd"] > 1.96 * (fb["fd_se"] + fr["fd_se"])  # blurred: separated, worse


def test_score_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, samples=np.zeros((10, 5, 5), np.uint8))
    assert main(["score", str(bad), "--data", "digits"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("genlab: error:") and "(1, 8, 8)" in err[0]
    assert main(["score", str(tmp_path / "missing.npz"), "--data", "digits"]) == 2


def test_score_points_in_native_units(tmp_path):
    data = load_dataset("ring8")
    pts = data.to_native(data.test[:500]).numpy().astype(np.float32)
    np.save(tmp_path / "pts.npy", pts)
    assert main(["score", str(tmp_path / "pts.npy"), "--data", "ring8", "--out", str(tmp_path / "p.json")]) == 0
    m = json.loads((tmp_path / "p.json").read_text())
    assert m["mode_collapse"]["modes_covered"] == 8.0 and set(m["spaces"]) == {"identity"}
    assert torch.isfinite(torch.tensor(m["fidelity"]["fd"]))
