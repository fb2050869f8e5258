"""`genlab compare --conditional`: every family trains class-conditionally, each run reports the class accuracy of
its samples, seed 0 writes its knob curve, and the report draws fidelity against diversity from those files."""

import json

import pytest

from genlab.cli import main
from genlab.evaluation.knobs import KNOBS

TINY = ["--n-eval", "200", "--n-curve", "64", "--n-likelihood", "4", "--n-latent", "8", "--step-grid", "ddim:2",
        "--quiet", "--device", "cpu"]


@pytest.fixture(scope="module")
def compare_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp-cond")
    assert main(["compare", "--data", "ring8", "--families", "vae,gan,ddpm", "--steps", "12", "--conditional",
                 "--out", str(out), *TINY]) == 0
    return out


def test_every_family_is_conditional_and_reports_class_accuracy(compare_out):
    for fam in ("vae", "gan", "ddpm"):
        run = compare_out / "runs" / f"{fam}-seed0"
        assert json.loads((run / "config.json").read_text())["model"]["conditional"] is True
        m = json.loads((run / "metrics.json").read_text())
        cond = m["conditional"]
        assert 0 <= cond["class_accuracy"] <= 1 and len(cond["per_class"]) == 8 and cond["n"] == 200
        assert cond["classifier"] == "nearest mode"  # ring8's labels index its modes
        if fam != "gan":
            assert m["likelihood"]["bound_on"] == "-log p(x|y)"
        curve = json.loads((run / "knob_curve.json").read_text())
        knob, values = KNOBS[fam]
        assert curve["knob"] == knob and [p["value"] for p in curve["points"]] == list(values)
        for p in curve["points"]:
            assert {"fd", "precision", "recall", "coverage", "class_accuracy"} <= set(p)


def test_the_report_draws_fidelity_against_diversity(compare_out):
    results = json.loads((compare_out / "results.json").read_text())
    assert set(results["fidelity_diversity"]) == {"vae", "gan", "ddpm"}
    assert results["meta"]["conditional"] is True
    assert all("class_accuracy" in results["metrics"][f] for f in ("vae", "gan", "ddpm"))
    html = (compare_out / "report.html").read_text()
    assert "Fidelity against diversity (conditional models)" in html
    assert "class accuracy" in (compare_out / "report.md").read_text()


def test_a_rerun_without_conditional_is_refused_before_training(compare_out, capsys):
    before = {p: p.stat().st_mtime for p in (compare_out / "runs").glob("*/metrics.json")}
    assert main(["compare", "--data", "ring8", "--families", "vae,gan,ddpm", "--steps", "12",
                 "--out", str(compare_out), *TINY]) == 2
    assert "holds a conditional run" in capsys.readouterr().err
    assert before == {p: p.stat().st_mtime for p in (compare_out / "runs").glob("*/metrics.json")}
