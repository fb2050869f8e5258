"""`genlab distill` end to end on tiny budgets: student runs that sample, evaluate and resume like any run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genlab.cli import main
from genlab.models.registry import DERIVED, DISTILLABLE, FAMILY_NAMES
from genlab.runs import load_run
from genlab.train.checkpoint import read_checkpoint

QUIET = ["--quiet", "--set", "train.sample_every=0", "--set", "train.eval_every=0"]


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """A 30-step DDPM on ring8 and a 12-step LDM on digits (their quality does not matter here)."""
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "ddpm", "--data", "ring8", "--steps", "30", "--out", str(out), *QUIET]) == 0
    assert main(["train", "ldm", "--data", "digits", "--steps", "12", "--out", str(out), *QUIET,
                 "--set", "train.batch_size=32", "--set", "model.scale_images=64"]) == 0
    assert main(["train", "vae", "--data", "ring8", "--steps", "2", "--out", str(out), *QUIET]) == 0
    return {"ddpm": out / "00000-ddpm-ring8", "ldm": out / "00001-ldm-digits", "vae": out / "00002-vae-ring8",
            "out": out}


def test_distilled_is_a_derived_family_not_a_trained_one():
    assert "distilled" in DERIVED and "distilled" not in FAMILY_NAMES
    assert set(DISTILLABLE) == {"ddpm", "ldm"}
    from genlab.models.distill.student import TEACHER_CONFIGS

    assert set(TEACHER_CONFIGS) == set(DISTILLABLE)


@pytest.mark.parametrize("method", ["consistency", "progressive"])
def test_distil_a_ddpm_then_sample_and_evaluate(teachers, tmp_path, method, capsys):
    out = tmp_path / "students"
    assert main(["distill", str(teachers["ddpm"]), "--method", method, "--steps", "8", "--out", str(out),
                 *QUIET]) == 0
    (run,) = out.iterdir()
    assert run.name == "00000-distilled-ring8"
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["family"] == "distilled" and cfg["model"]["method"] == method
    assert cfg["model"]["teacher_run"] == str(teachers["ddpm"]) and cfg["model"]["teacher_family"] == "ddpm"
    assert cfg["model"]["steps_out"] == [1, 2, 4] and cfg["model"]["steps"] == 1 and cfg["model"]["prediction"] == "v"
    model, *_ = load_run(run)
    assert [model.nfe(steps=k) for k in (1, 2, 4)] == [1, 2, 4]
    for k in (1, 2, 4):
        assert main(["sample", str(run), "--n", "20", "--steps", str(k), "--out", str(tmp_path / f"s{k}.npz")]) == 0
        pts = np.load(tmp_path / f"s{k}.npz")["samples"]
        assert pts.shape == (20, 2) and np.isfinite(pts).all()
    assert main(["evaluate", str(run), "--n", "100", "--device", "cpu"]) == 0
    assert "modes_total" in json.loads((run / "metrics.json").read_text())["mode_collapse"]


def test_a_fresh_student_starts_from_its_teacher(teachers, tmp_path):
    """With a zero learning rate the student is the teacher's network: its frozen copy too, and (same
    parameterisation aside) its weights equal the teacher's tensor for tensor."""
    out = tmp_path / "students"
    assert main(["distill", str(teachers["ddpm"]), "--steps", "2", "--out", str(out), "--set", "train.lr=0",
                 *QUIET]) == 0
    student, *_ = load_run(next(out.iterdir()))
    teacher, *_ = load_run(teachers["ddpm"])
    for name, p in teacher.net.state_dict().items():
        assert torch.equal(student.base.net.state_dict()[name], p)
        assert torch.equal(student.frozen.state_dict()[name], p)


@pytest.mark.parametrize("method", ["consistency", "progressive"])
def test_distil_an_ldm_student_decodes_with_the_autoencoder(teachers, tmp_path, method):
    out = tmp_path / "students"
    assert main(["distill", str(teachers["ldm"]), "--method", method, "--steps", "4", "--steps-out", "2,4",
                 "--set", "model.start_steps=8", "--set", "train.batch_size=16", "--out", str(out), *QUIET]) == 0
    run = next(out.iterdir())
    model, cfg, info, _ = load_run(run)
    teacher, *_ = load_run(teachers["ldm"])
    assert torch.equal(model.base.scale_factor, teacher.scale_factor)
    assert model.nfe(steps=2) == 3  # two latent steps and the decoder
    x = model.sample(3, torch.Generator().manual_seed(0), steps=2)
    assert x.shape == (3, *info.shape) and x.abs().max() <= 1
    if method == "progressive":
        assert model.rounds == [4, 2] and int(model.round) == 1  # the last round distilled 4 teacher steps into 2


def test_student_image_k_does_not_depend_on_the_batch(teachers, tmp_path):
    """Per-image seeds reach the consistency sampler's re-noising: image k is the same in batches of 3 and 7."""
    from genlab.evaluation.generate import generate

    out = tmp_path / "students"
    assert main(["distill", str(teachers["ddpm"]), "--steps", "2", "--out", str(out), *QUIET]) == 0
    model, *_ = load_run(next(out.iterdir()))
    a, b = (generate(model, 7, seed=3, batch_size=bs, steps=4) for bs in (3, 7))
    # float sums differ with the batch, amplified by the points MLP's Fourier features (2^7 pi x); a wrong seed
    # would move a point by about the data's scale (1)
    torch.testing.assert_close(a, b, atol=2e-3, rtol=0)


def test_resumed_student_equals_one_trained_straight_through(teachers, tmp_path):
    """Consistency distillation's EMA target is checkpointed with the student: 6 steps, then --resume to 12,
    ends bit for bit where 12 steps in one go end."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["distill", str(teachers["ddpm"]), "--steps", "12", "--out", str(a), *QUIET]) == 0
    assert main(["distill", str(teachers["ddpm"]), "--steps", "6", "--out", str(b), *QUIET]) == 0
    run_b = next(b.iterdir())
    assert main(["distill", "--resume", str(run_b), "--steps", "12", "--quiet"]) == 0
    (_, ta), (_, tb) = read_checkpoint(next(a.iterdir()) / "checkpoints"), read_checkpoint(run_b / "checkpoints")
    assert ta.keys() == tb.keys() and any("frozen" in k for k in ta)
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k


@pytest.mark.parametrize("args, message", [
    (["/nonexistent/run"], "run folder not found"),
    (["VAE"], "is a vae run; only diffusion runs (ddpm, ldm) can be distilled"),
    (["DDPM", "--steps-out", "1,x"], "--steps-out '1,x': expected positive step counts"),
    (["DDPM", "--steps-out", "0,2"], "--steps-out '0,2'"),
    (["DDPM", "--steps-out", "3", "--method", "progressive"], "start_steps must be final_steps times a power of two"),
])
def test_errors_are_one_line(teachers, tmp_path, capsys, args, message):
    args = [str(teachers["vae"]) if a == "VAE" else str(teachers["ddpm"]) if a == "DDPM" else a for a in args]
    assert main(["distill", *args, "--steps", "2", "--out", str(tmp_path), "--quiet"]) != 0
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_progressive_student_stopped_mid_round_resumes_exactly(teachers, tmp_path):
    """Stopped (as by SIGTERM) at step 6 of 12, in the second of three rounds, and resumed: the round under way and
    its teacher (the frozen copy) come back from the checkpoint, and the run ends bit for bit where an uninterrupted
    one ends."""
    from genlab.data import load_dataset
    from genlab.distillation import load_teacher, student_config, student_trainer
    from genlab.errors import Stopped
    from genlab.train.preempt import StopSignal

    teacher, teacher_cfg = load_teacher(teachers["ddpm"], "cpu")
    cfg = student_config(teachers["ddpm"], teacher_cfg, "progressive", (1,), ["model.start_steps=8"],
                         {"steps": 12, "sample_every": 0, "eval_every": 0})
    data = load_dataset("ring8")
    student_trainer(cfg, data, tmp_path / "a", teacher, progress=False).fit()
    stop = StopSignal()

    def request_stop(_ema):
        stop.name = "SIGTERM"
        return {}

    with pytest.raises(Stopped):
        student_trainer(cfg, data, tmp_path / "b", teacher, progress=False, stop=stop, probes=(0.5,),
                        probe_fn=request_stop).fit()
    (_, stopped) = read_checkpoint(tmp_path / "b" / "checkpoints")
    assert int(stopped["model.round"]) == 1  # rounds [4, 2, 1] over 12 steps: the second began at step 4
    student_trainer(cfg, data, tmp_path / "b", teacher, progress=False).fit()
    (_, ta), (_, tb) = read_checkpoint(tmp_path / "a" / "checkpoints"), read_checkpoint(tmp_path / "b" / "checkpoints")
    assert int(ta["model.round"]) == 2 and ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k


def test_an_edm_teacher_gets_a_plain_vp_student(tmp_path):
    out = tmp_path / "runs"
    assert main(["train", "ddpm", "--data", "ring8", "--steps", "3", "--out", str(out), *QUIET,
                 "--set", "model.formulation=edm"]) == 0
    assert main(["distill", str(out / "00000-ddpm-ring8"), "--steps", "3", *QUIET]) == 0
    model, cfg, *_ = load_run(out / "00001-distilled-ring8")
    assert cfg.model.teacher.formulation == "edm" and model.diffusion.config.formulation == "ddpm"
    assert model.sample(5, torch.Generator().manual_seed(0), steps=2).isfinite().all()
