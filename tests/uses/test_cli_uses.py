"""`genlab evaluate RUN --uses-only` on a few-second digits run writes the four measurements into metrics.json."""

import json

import numpy as np

from genlab.cli import main


def test_evaluate_uses_on_a_tiny_digits_run(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["train", "ldm", "--data", "digits", "--steps", "6", "--out", str(out), "--quiet"]) == 0
    (run,) = sorted(p for p in out.iterdir() if p.is_dir())
    (run / "metrics.json").write_text(json.dumps({"likelihood": {"bits_per_dim": 1.0}}))  # an earlier evaluation
    assert main(["evaluate", str(run), "--uses-only", "--uses-n", "40", "--device", "cpu"]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert m["likelihood"] == {"bits_per_dim": 1.0}  # kept
    u = m["uses"]
    assert u["family"] == "ldm" and u["n"] == 40
    assert set(u["anomaly"]["sets"]) == {"flipped", "inverted", "shuffled"}
    assert {"nll", "recon", "typicality"} == set(u["anomaly"]["scores"])
    assert {"latent", "pixels"} == set(u["representations"])
    assert u["bottleneck"]["latent_dim"] == 64 and "rate_bits" in u["compression"]["point"]

    # a user-given OOD set: a .npz of digits-shaped images
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "noise.npz", x_train=(rng.random((50, 1, 8, 8)) * 2 - 1).astype(np.float32),
             x_test=(rng.random((50, 1, 8, 8)) * 2 - 1).astype(np.float32))
    ood = str(tmp_path / "noise.npz")
    assert main(["evaluate", str(run), "--uses-only", "--uses-n", "30", "--ood", ood, "--device", "cpu"]) == 0
    sets = json.loads((run / "metrics.json").read_text())["uses"]["anomaly"]["sets"]
    assert ood in sets and "flipped" in sets


def test_ood_of_another_shape_is_one_line_error(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["train", "gan", "--data", "digits", "--steps", "2", "--out", str(out), "--quiet"]) == 0
    (run,) = sorted(p for p in out.iterdir() if p.is_dir())
    code = main(["evaluate", str(run), "--uses-only", "--ood", "ring8", "--device", "cpu"])
    assert code == 2 and "--ood ring8" in capsys.readouterr().err


def test_evaluate_with_uses_keeps_the_suite_on_points(tmp_path):
    out = tmp_path / "runs"
    assert main(["train", "vae", "--data", "ring8", "--steps", "4", "--out", str(out), "--quiet"]) == 0
    (run,) = sorted(p for p in out.iterdir() if p.is_dir())
    assert main(["evaluate", str(run), "--n", "100", "--uses", "--uses-n", "50", "--device", "cpu"]) == 0
    m = json.loads((run / "metrics.json").read_text())
    assert "mode_collapse" in m and "likelihood" in m  # the suite
    u = m["uses"]
    assert set(u["anomaly"]["sets"]) == {"uniform"} and u["bottleneck"]["available"] is False
    assert u["compression"]["point"]["latent_dim"] >= 1
