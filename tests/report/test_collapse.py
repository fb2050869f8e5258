"""Mode collapse said in words: which family covers fewer than half the modes or classes, in which seeds."""

from genlab.report import build_results
from genlab.report.collapse import collapse_findings, collapse_item, collapse_text
from genlab.report.markdown import render_markdown


def _seeds(key: str, total_key: str, total: float, *covered: float) -> list[dict]:
    return [{key: c, total_key: total, "fd": 1.0 + i} for i, c in enumerate(covered)]


def test_a_family_below_half_the_modes_is_named_with_its_seeds():
    per = {"vae": _seeds("modes_covered", "num_modes", 8.0, 8, 8, 7),
           "gan": _seeds("modes_covered", "num_modes", 8.0, 0, 8, 3),
           "ddpm": _seeds("modes_covered", "num_modes", 8.0, 8, 8, 8)}
    found = {f["family"]: f for f in collapse_findings(per)}
    assert found["gan"]["collapsed_seeds"] == [0, 2] and found["vae"]["collapsed_seeds"] == []
    assert found["vae"]["covered"] == [8, 8, 7] and found["gan"]["total"] == 8.0
    text = collapse_text(list(found.values()))
    assert text.startswith("Mode collapse: fewer than half the modes covered by gan in 2 of 3 seed(s)")
    assert "gan 0, 8, 3" in text and "vae" not in text.split("(")[0]
    assert collapse_findings({"gan": _seeds("modes_covered", "num_modes", 8.0, 4)})[0]["collapsed_seeds"] == []


def test_classes_and_no_collapse():
    per = {"vae": _seeds("classes_covered", "num_classes", 10.0, 10), "gan": _seeds("classes_covered",
                                                                                    "num_classes", 10.0, 4)}
    assert collapse_item(per)["text"].startswith("Mode collapse: fewer than half the classes covered by gan")
    per["gan"] = _seeds("classes_covered", "num_classes", 10.0, 9)
    assert collapse_item(per)["text"].startswith("No mode collapse: every family covers at least half the classes")
    unmeasured = {"gan": [{"classes_covered": {"available": False, "reason": "no labels"}, "fd": 1.0}]}
    assert collapse_item(unmeasured) is None


def test_the_report_says_it_beside_the_numbers():
    per = {"vae": _seeds("modes_covered", "num_modes", 8.0, 8, 8),
           "gan": _seeds("modes_covered", "num_modes", 8.0, 1, 2)}
    res = build_results(per)
    row = next(r for r in res["rows"] if r["axis"] == "mode_collapse")
    assert row["diagnosis"].startswith("Mode collapse: fewer than half the modes covered by gan in 2 of 2")
    assert "collapse" in [r["topic"] for r in res["recommendation"][:2]]
    assert row["diagnosis"] in render_markdown(res, {}, {})
