"""The conditional compare's figure: fidelity against diversity along each family's knob, drawn from the files."""

from genlab.report import build_results, write_report
from genlab.report.figures import all_figures, fidelity_diversity

CURVES = {
    "ddpm": {"knob": "guidance", "points": [
        {"value": w, "fd": 2 + 4 * w, "precision": 0.8 + 0.03 * w, "recall": 0.86 - 0.17 * w, "coverage": 0.9,
         "class_accuracy": 0.99} for w in (4.0, 2.0, 1.0, 0.0)]},
    "gan": {"knob": "truncation", "points": [
        {"value": p, "fd": 10 / p, "precision": 0.9 - 0.1 * p, "recall": 0.2 * p, "coverage": 0.5 * p}
        for p in (0.25, 1.0, 2.0)]},
}


def test_the_figure_is_drawn_only_with_curves():
    png = fidelity_diversity(CURVES, ["vae", "gan", "ddpm"])
    assert png is not None and png.startswith(b"\x89PNG")
    assert fidelity_diversity({}) is None and fidelity_diversity({"vae": {"knob": "temperature", "points": []}}) is None


def test_the_report_shows_the_figure_from_results(inputs, tmp_path):
    res = build_results(**inputs, fidelity_diversity=CURVES)
    assert res["fidelity_diversity"] == CURVES
    assert "fidelity_diversity" in all_figures(res)
    assert "fidelity_diversity" not in all_figures(build_results(**inputs))
    paths = write_report(tmp_path / "out", res)
    assert "Fidelity against diversity (conditional models)" in paths["html"].read_text()
