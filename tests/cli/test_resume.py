"""`genlab train --resume` from anything: no run yet, a run without a checkpoint, a finished run."""

import json

from genlab.cli import main
from genlab.train.logger import read_metrics

ARGS = ["train", "vae", "--data", "ring8", "--quiet", "--set", "train.log_every=1", "--set", "train.eval_every=0",
        "--set", "train.sample_every=0"]


def _curve(run):
    return [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(run)]


def test_resume_with_no_run_starts_one_and_a_finished_run_says_so(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main([*ARGS, "--steps", "5", "--out", str(out), "--resume"]) == 0
    assert "to resume: starting a new one" in capsys.readouterr().out
    (run,) = out.iterdir()
    ckpt = run / "checkpoints" / "ckpt-00000005.safetensors"
    before = ckpt.stat().st_mtime_ns, (run / "metrics.jsonl").read_text()
    assert main([*ARGS, "--steps", "5", "--out", str(out), "--resume"]) == 0
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and "is finished" in said and "5 steps" in said
    assert (ckpt.stat().st_mtime_ns, (run / "metrics.jsonl").read_text()) == before  # nothing trained or rewritten
    assert list(out.iterdir()) == [run]


def test_resume_of_a_run_without_checkpoint_starts_it_from_step_0_with_its_config(tmp_path, capsys):
    """The run was stopped before its first checkpoint; its config.json (batch 16, seed 3) wins over the flags'
    defaults, and the run ends as one trained straight through."""
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    flags = ["--steps", "8", "--set", "train.batch_size=16", "--seed", "3"]
    assert main([*ARGS, *flags, "--out", str(whole)]) == 0
    assert main([*ARGS, *flags, "--out", str(cut)]) == 0
    (run,) = cut.iterdir()
    for p in (run / "checkpoints").iterdir():  # as if it had been killed before its first checkpoint
        p.unlink()
    capsys.readouterr()
    assert main(["train", "vae", "--resume", str(run), "--quiet"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"{run} has no checkpoint yet: starting it from step 0 with its config.json"
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["train"]["batch_size"] == 16 and cfg["train"]["seed"] == 3 and cfg["format"] == 1
    (ref,) = whole.iterdir()
    assert _curve(run) == _curve(ref) and len(_curve(run)) == 8


def test_resume_of_a_folder_stopped_before_its_config_starts_it_from_the_flags(tmp_path, capsys):
    out = tmp_path / "runs"
    (out / "00000-vae-ring8").mkdir(parents=True)  # killed between reserving the folder and writing config.json
    assert main([*ARGS, "--steps", "3", "--out", str(out), "--resume"]) == 0
    assert "stopped before its config was written" in capsys.readouterr().out
    assert [p.name for p in out.iterdir()] == ["00000-vae-ring8"]
    assert read_metrics(out / "00000-vae-ring8")[-1]["step"] == 3
