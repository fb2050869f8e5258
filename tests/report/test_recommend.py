"""Recommendation sentences are built from the values and change when they change."""

from __future__ import annotations

import copy

from report_inputs import BASE, make_per_family, quality_vs_steps

from genlab.report import build_results


def _rec(base=None, qvs=None) -> dict:
    res = build_results(make_per_family(base), quality_vs_steps=qvs)
    return {r["topic"] + (r["values"].get("sampler", "") if r["topic"] == "steps" else ""): r
            for r in res["recommendation"]}


def test_best_fidelity_follows_the_numbers():
    rec = _rec()
    assert rec["fidelity"]["values"]["family"] == "ddpm"
    assert rec["fidelity"]["text"].startswith("Fidelity: ddpm is best, separated from every other family")
    assert "FD: ddpm 3.1 ± 0.0702, ldm 4 ± 0.0905" in rec["fidelity"]["text"]  # ranked, with 95% intervals
    assert rec["fidelity"]["values"]["status"] == "wins"
    b = copy.deepcopy(BASE)
    b["vae"]["fd"] = 1.0
    rec = _rec(b)
    assert rec["fidelity"]["text"].startswith("Fidelity: vae is best")


def test_fastest_among_families_whose_fd_interval_overlaps_the_best():
    rec = _rec()
    # only ddpm's interval reaches FD 3.1 (ldm 4 ± 0.09 is separated); gan samples 6000/40 = 150x faster
    assert rec["speed_at_quality"]["values"]["candidates"] == ["ddpm"]
    assert "gan samples 150x faster" in rec["speed_at_quality"]["text"]
    b = copy.deepcopy(BASE)
    b["ldm"]["fd"] = 3.15  # 3.15 ± 0.09 overlaps 3.1 ± 0.07: now ldm qualifies and samples faster (300 > 40 img/s)
    rec = _rec(b)
    assert rec["speed_at_quality"]["values"]["family"] == "ldm"
    assert rec["speed_at_quality"]["values"]["candidates"] == ["ddpm", "ldm"]


def test_pareto_front_and_likelihood():
    rec = _rec()
    # (FD, img/s): ddpm (3.1, 40), ldm (4.0, 300), gan (5.2, 6000); vae (9.8, 5000) is beaten by gan
    assert rec["trade_off"]["values"]["front"] == ["ddpm", "ldm", "gan"]
    assert "dominated: vae" in rec["trade_off"]["text"]
    assert rec["likelihood"]["values"]["family"] == "ddpm"
    assert "gan (adversarial training defines no likelihood)" in rec["likelihood"]["text"]


def test_fewest_steps_within_ten_percent():
    rec = _rec(qvs=quality_vs_steps())
    # ddim: FD = 3 + 30/s; best 3.03 at 1000; 3 + 30/s <= 1.1 * 3.03 <=> s >= 90.1 -> 100 steps on the grid
    assert rec["stepsddim"]["values"]["steps"] == 100
    assert "10x fewer steps than 1,000" in rec["stepsddim"]["text"]
    # ddpm: FD = 3 + 300/s; best 3.3 at 1000; s >= 300 / 0.63 = 476.2 -> 500 steps
    assert rec["stepsddpm"]["values"]["steps"] == 500


def test_fewest_steps_uses_the_intervals_when_points_have_standard_errors():
    from genlab.report.recommend import fewest_steps

    qvs = {"ddpm": {"ddim": [[10, 6.0, 0.01, 0.5], [20, 4.2, 0.01, 0.5], [50, 3.5, 0.01, 0.3],
                             [100, 3.1, 0.01, 0.3]]}}
    # best 3.1 (se 0.3): 20 steps overlap it (4.2 - 3.1 = 1.1 <= 1.96 (0.5 + 0.3) = 1.57), 10 steps do not (2.9)
    r = fewest_steps(qvs)[0]
    assert r["values"]["steps"] == 20 and "its interval overlaps the best's" in r["text"]
    assert "FD 4.2 ± 0.98" in r["text"]


def _two_space_table() -> dict:
    """The 600 s MNIST compare of benchmarks/ (95% half-widths / 1.96): the trained space puts gan first (ddpm
    separated from it), the pixel space ldm (ddpm and gan inside its interval); gan samples fastest."""
    def cell(mean, hw):
        return {"available": True, "mean": mean, "se": hw / 1.96}

    fd = {"vae": (40.6, 1.68, 10.5, 0.444), "gan": (10.4, 0.961, 2.93, 0.371), "ddpm": (12.7, 0.94, 2.91, 0.368),
          "ldm": (15.8, 2.2, 2.5, 0.44)}
    speed = {"vae": 1034.0, "gan": 1974.0, "ddpm": 30.8, "ldm": 94.5}
    return {f: {"fd": cell(a, ha), "fd_pixels": cell(b, hb), "sample_images_per_s": {"available": True,
                                                                                      "mean": speed[f]}}
            for f, (a, ha, b, hb) in fd.items()}


def test_speed_lines_respect_every_calibrated_space():
    """With spaces that disagree on the best FD, no family is 'the only one at the best' and one space's lead does
    not dominate: gan is separated ahead of ddpm in the trained space but not in the pixel space."""
    from genlab.report.recommend import best_fidelity, fastest_near_best, pareto_front

    tab = _two_space_table()
    assert best_fidelity(tab)["values"]["status"] == "inconclusive"
    fast = fastest_near_best(tab)
    assert fast["values"]["candidates"] == ["ddpm", "gan", "ldm"] and fast["values"]["family"] == "gan"
    assert "Only" not in fast["text"] and "in at least one calibrated space" in fast["text"]
    front = pareto_front(tab)
    # vae is behind gan in both spaces and slower: dominated; ddpm and ldm each lead gan in the pixel space
    assert front["values"]["front"] == ["gan", "ddpm", "ldm"] and "dominated in every calibrated space: vae" in \
        front["text"]
    del tab["ldm"], tab["ddpm"]  # gan vs vae alone: gan separated ahead in both spaces and faster
    assert pareto_front(tab)["values"]["front"] == ["gan"]
    assert fastest_near_best(tab)["text"].startswith("Only gan is at the best FD (in every calibrated space)")
