"""The report's uses sections: verdicts from separated or overlapping intervals, and their place in the files."""

import json

from genlab.report.results import build_results
from genlab.report.uses import build_uses, collect_uses
from genlab.report.write import write_report


def _probe(acc, n=300):
    from genlab.metrics.linear_probe import wilson_interval

    low, high = wilson_interval(round(acc * n), n)
    return {"what": "x", "accuracy": acc, "low": low, "high": high, "n_train": 1000, "n_test": n, "features": 16}


def _anomaly(auroc, se=0.01):
    det = {"auroc": auroc, "auroc_se": se, "fpr95": 0.5, "n_in": 300, "n_out": 300, "out_mean": 1.0}
    return {"sets": {"flipped": "upside down"}, "higher_likelihood_ood": [],
            "scores": {"nll": {"what": "nll", "in_mean": 1.0, "in_se": 0.01, "sets": {"flipped": det}}}}


def _uses(family, acc, auroc, rate, psnr, ratio):
    point = {"rate_bits": rate, "rate_bits_se": 1.0, "mse": 0.01, "psnr": psnr, "n": 300, "beta": 1.0}
    return {"family": family, "anomaly": _anomaly(auroc),
            "compression": {"point": point if family in ("vae", "ldm") else {"available": False, "reason": "-"},
                            "lossless": {"bits_per_dim": 1.5, "bits_per_dim_se": 0.01, "bits_per_image": 96.0}},
            "representations": {"main": _probe(acc), "pixels": _probe(0.9)},
            "bottleneck": {"latent": "z", "latent_dim": int(64 * ratio), "data_dim": 64, "ratio": ratio,
                           "active_units": 5, "mse": 0.01, "psnr": 26.0}}


def _verdicts(sections):
    return {s["key"]: s["verdict"] for s in sections}


def test_separated_lead_agrees_and_overlap_is_a_tie():
    ahead = {"vae": _uses("vae", 0.95, 0.90, 20.0, 25.0, 0.25), "ddpm": _uses("ddpm", 0.70, 0.60, 0, 0, 1.0),
             "ldm": _uses("ldm", 0.72, 0.62, 60.0, 22.0, 1.0)}
    assert _verdicts(build_uses(ahead)) == {"anomaly": "agrees", "compression": "agrees",
                                            "representations": "agrees", "bottleneck": "agrees"}
    close = {"vae": _uses("vae", 0.80, 0.70, 40.0, 25.0, 0.25), "ddpm": _uses("ddpm", 0.81, 0.705, 0, 0, 1.0),
             "ldm": _uses("ldm", 0.805, 0.71, 40.5, 22.0, 1.0)}
    v = _verdicts(build_uses(close))
    assert v["representations"] == "tie" and v["anomaly"] == "tie" and v["compression"] == "tie"
    behind = {"vae": _uses("vae", 0.50, 0.40, 90.0, 20.0, 0.25), "ldm": _uses("ldm", 0.95, 0.9, 30.0, 26.0, 1.0)}
    v = _verdicts(build_uses(behind))
    assert v == {"anomaly": "disagrees", "compression": "disagrees", "representations": "disagrees",
                 "bottleneck": "not testable"}


def test_sections_reach_results_json_markdown_and_html(tmp_path):
    runs = tmp_path / "runs"
    for f, u in {"vae": _uses("vae", 0.95, 0.9, 20.0, 25.0, 0.25), "ddpm": _uses("ddpm", 0.7, 0.6, 0, 0, 1.0)}.items():
        (runs / f"{f}-seed0").mkdir(parents=True)
        (runs / f"{f}-seed0" / "uses.json").write_text(json.dumps(u))
    (tmp_path / "uses" / "vae-beta2").mkdir(parents=True)
    (tmp_path / "uses" / "vae-beta2" / "rate_distortion.json").write_text(json.dumps(
        {"beta": 2.0, "rate_bits": 10.0, "rate_bits_se": 1.0, "mse": 0.05, "psnr": 19.0, "n": 300}))
    per_family, sweep = collect_uses(tmp_path, ["vae", "ddpm"])
    assert set(per_family) == {"vae", "ddpm"} and sweep[0]["beta"] == 2.0
    results = build_results({"vae": [{}], "ddpm": [{}]})
    results["uses"] = build_uses(per_family, sweep)
    paths = write_report(tmp_path / "report", results)
    saved = json.loads(paths["results"].read_text())
    assert [s["key"] for s in saved["uses"]] == ["anomaly", "compression", "representations", "bottleneck"]
    md, html = paths["markdown"].read_text(), paths["html"].read_text()
    for title in ("Anomaly detection", "Compression (rate-distortion)", "Representations (linear probe)",
                  "The bottleneck"):
        assert f"## Uses: {title}" in md and f"<h2>Uses: {title}</h2>" in html
    assert "vae sweep (beta 2)" in md
    assert (tmp_path / "report" / "report_files" / "figure__rate_distortion.png").is_file()
    assert "](report_files/figure__rate_distortion.png)" in md and "alt='rate-distortion'" in html


def test_no_uses_no_sections_and_no_figure(tmp_path):
    paths = write_report(tmp_path, build_results({"vae": [{}]}))
    assert "Uses:" not in paths["markdown"].read_text()
    assert not (tmp_path / "report_files" / "figure__rate_distortion.png").exists()
