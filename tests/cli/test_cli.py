import json

import numpy as np
import pytest

from genlab.cli import main
from genlab.errors import TrainingDiverged


def _run_dir(out):
    (run,) = sorted(p for p in out.iterdir() if p.is_dir())
    return run


def test_train_sample_evaluate_gan_on_ring8(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["train", "gan", "--data", "ring8", "--steps", "6", "--out", str(out), "--quiet",
                 "--set", "train.batch_size=64", "--set", "train.eval_every=3"]) == 0
    run = _run_dir(out)
    assert run.name == "00000-gan-ring8"
    assert {"config.json", "metrics.jsonl", "checkpoints", "samples"} <= {p.name for p in run.iterdir()}
    log = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("diag/modes_covered" in r for r in log)  # mode-collapse diagnostics logged during training
    assert log[-1]["step"] == 6 and log[-1]["diag/collapsed"] == 1.0  # and at the end: 6 steps cover no mode
    assert "MODE COLLAPSE: gan at step 6: 0 of 8 modes covered" in capsys.readouterr().out
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["defaults"] == "gan/points" and cfg["model"]["latent_dim"] == 2  # the 2-D points profile
    assert cfg["train"]["batch_size"] == 64  # --set wins over the profile
    assert main(["sample", str(run), "--n", "10", "--out", str(tmp_path / "s.npz")]) == 0
    pts = np.load(tmp_path / "s.npz")["samples"]
    assert pts.shape == (10, 2) and pts.dtype == np.float32
    assert main(["sample", str(run), "--n", "10", "--out", str(tmp_path / "t.npz"), "--truncation", "0.5"]) == 0
    assert main(["evaluate", str(run), "--n", "200", "--device", "cpu"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert "modes covered" in capsys.readouterr().out
    assert metrics["mode_collapse"]["modes_total"] == 8
    assert 0 <= metrics["mode_collapse"]["modes_covered"] <= 8
    assert metrics["likelihood"]["available"] is False


def test_resume_continues_the_latest_run(tmp_path):
    out = tmp_path / "runs"
    args = ["train", "vae", "--data", "moons", "--out", str(out), "--quiet", "--set", "train.batch_size=32"]
    assert main([*args, "--steps", "4"]) == 0
    assert main([*args, "--steps", "7", "--resume"]) == 0
    run = _run_dir(out)
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps[-1] == 7 and len(list(out.iterdir())) == 1


@pytest.mark.parametrize("argv, needle", [
    (["train", "vae", "--data", "digits", "--set", "model.nope=1"], "model.nope"),
    (["train", "vae", "--data", "digits", "--set", "train.lr=fast"], "train.lr"),
    (["train", "vae", "--data", "mnist", "--data-dir", "/nonexistent/dir"], "/nonexistent/dir"),
    (["train", "vae", "--data", "no-such-data"], "no-such-data"),
    (["train", "vae", "--config", "/nonexistent.toml"], "nonexistent.toml"),
    (["sample", "/nonexistent/run", "--n", "4", "--out", "x.npz"], "/nonexistent/run"),
    (["evaluate", "/nonexistent/run"], "/nonexistent/run"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("genlab: error:") and needle in err


def test_wrong_family_option_and_corrupt_checkpoint(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["train", "vae", "--data", "moons", "--steps", "2", "--out", str(out), "--quiet",
                 "--set", "train.batch_size=32"]) == 0
    run = _run_dir(out)
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "x.npz"), "--truncation", "0.5"]) == 2
    assert "--truncation" in capsys.readouterr().err
    ckpt = sorted((run / "checkpoints").glob("*.safetensors"))[-1]
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "x.npz")]) == 2
    assert "corrupt" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_divergence_exits_3(tmp_path, monkeypatch, capsys):
    from genlab.train import trainer

    def boom(self):
        raise TrainingDiverged("training diverged: loss 'loss' = nan at step 3")

    monkeypatch.setattr(trainer.Trainer, "fit", boom)
    assert main(["train", "vae", "--data", "moons", "--steps", "5", "--out", str(tmp_path), "--quiet"]) == 3
    assert "diverged" in capsys.readouterr().err


def test_every_command_has_help(capsys):
    for cmd in (["--help"], ["train", "--help"], ["sample", "--help"], ["evaluate", "--help"], ["edit", "--help"],
                ["compare", "--help"], ["data", "--help"], ["evaluator", "--help"]):
        with pytest.raises(SystemExit) as e:
            main(cmd)
        assert e.value.code == 0


def test_run_folders_are_reserved_atomically(tmp_path):
    from genlab.runs import new_run_dir

    a, b = new_run_dir(tmp_path, "vae-digits"), new_run_dir(tmp_path, "vae-digits")
    assert a.name == "00000-vae-digits" and b.name == "00001-vae-digits" and a.is_dir() and b.is_dir()
    assert new_run_dir(tmp_path, "gan-ring8").name == "00002-gan-ring8"


def test_evaluator_train_reports_accuracy_and_caches(capsys):
    assert main(["evaluator", "train", "digits", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy ")[1].split(",")[0])
    assert acc > 0.95
    assert main(["evaluator", "train", "digits", "--device", "cpu"]) == 0  # second call loads the cache
    assert out.split("sha256 ")[1][:16] in capsys.readouterr().out
