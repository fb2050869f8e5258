"""`genlab compare --distill`: students of the diffusion families on a quarter of their budget, in the table and
on the quality-against-NFE figure at 1, 2 and 4 steps."""

from __future__ import annotations

import json

from genlab.cli import main
from genlab.compare import CompareSpec
from genlab.distillation import budget_note, split_budget, student_budget, student_families, teacher_budget

TINY = ["--n-eval", "200", "--n-curve", "64", "--n-likelihood", "4", "--n-latent", "8",
        "--step-grid", "ddim:2,5", "--quiet", "--device", "cpu"]


def test_budget_split_three_quarters_teacher():
    assert split_budget({"budget": "80s"}, 0.75) == {"budget": "60s"}
    assert split_budget({"steps": 20}, 0.25) == {"steps": 5} and split_budget({"images": 2}, 0.25) == {"images": 1}
    spec = CompareSpec(families=("vae", "ddpm", "ldm"), steps=40, distill="consistency")
    assert teacher_budget(spec, "ddpm") == {"steps": 30} and teacher_budget(spec, "vae") == {"steps": 40}
    assert student_families(spec) == ("ddpm-distilled", "ldm-distilled")
    assert student_families(CompareSpec(families=("vae", "ddpm"))) == ()
    assert "75% teacher (30 steps), 25% student (10 steps)" in budget_note({"steps": 40})
    for total in range(3, 40):  # teacher and student steps add up to the family's budget (at least 1 each)
        assert split_budget({"steps": total}, 0.75)["steps"] + student_budget({"steps": total})["steps"] == total
    assert student_budget({"budget": "80s"}) == {"budget": "20s"}


def test_ring8_compare_with_distilled_students(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "--data", "ring8", "--families", "gan,ddpm", "--steps", "16", "--out", str(out),
                 "--distill", *TINY]) == 0
    teacher = json.loads((out / "runs" / "ddpm-seed0" / "config.json").read_text())
    student = json.loads((out / "runs" / "ddpm-distilled-seed0" / "config.json").read_text())
    gan = json.loads((out / "runs" / "gan-seed0" / "config.json").read_text())
    assert (teacher["train"]["steps"], student["train"]["steps"], gan["train"]["steps"]) == (12, 4, 16)
    assert student["model"]["teacher_run"] == str(out / "runs" / "ddpm-seed0")
    qvs = json.loads((out / "runs" / "ddpm-distilled-seed0" / "quality_vs_steps.json").read_text())
    assert [p[0] for p in qvs["consistency student"]] == [1, 2, 4]
    results = json.loads((out / "results.json").read_text())
    assert "ddpm-distilled" in results["families"]
    assert [p[0] for p in results["quality_vs_steps"]["ddpm-distilled"]["consistency student"]] == [1, 2, 4]
    assert "75% teacher" in json.dumps(results["meta"])
    assert "ddpm-distilled" in (out / "report.md").read_text()


def test_a_student_answers_the_speed_claim_only():
    from genlab.report.claims import claim_rows

    cell = {"available": True, "mean": 1.0}
    tab = {"ddpm": {"bpd": cell, "sample_images_per_s": cell, "fd": cell},
           "gan": {"sample_images_per_s": {**cell, "mean": 9.0}, "fd": {**cell, "mean": 2.0}},
           "ddpm-distilled": {"sample_images_per_s": {**cell, "mean": 5.0}, "fd": {**cell, "mean": 50.0}}}
    rows = {r["axis"]: r for r in claim_rows(tab, ["gan", "ddpm", "ddpm-distilled"])}
    for axis in ("likelihood", "fidelity", "diversity", "mode_collapse", "training_cost"):
        assert "ddpm-distilled" not in json.dumps(rows.get(axis, {}).get("comparisons")), axis
    speed = json.dumps(rows["sampling_speed"]["comparisons"])
    assert "ddpm-distilled" in speed and "GAN samples faster than a distilled diffusion model" in speed


def test_distill_with_conditional_is_refused_before_training(tmp_path, capsys):
    assert main(["compare", "--data", "digits", "--distill", "--conditional", "--out", str(tmp_path), "--quiet"]) != 0
    assert "conditional students are not supported yet" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_distill_refuses_teachers_trained_on_the_whole_budget(tmp_path, capsys):
    """A compare first run without --distill gave its DDPM the whole budget: adding --distill to the same --out
    would report a student on top of it, so it is refused."""
    args = ["compare", "--data", "ring8", "--families", "ddpm", "--steps", "4", "--out", str(tmp_path), *TINY]
    assert main(args) == 0
    assert main([*args, "--distill"]) == 2
    assert "was trained without --distill" in capsys.readouterr().err
