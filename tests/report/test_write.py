"""The written reports: every input cell in results.json, a self-contained HTML, Markdown with copied files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from genlab.report import ReportInputError, build_results, write_report
from genlab.report.figures import all_figures


def test_every_input_cell_is_in_results_json(inputs, tmp_path):
    res = build_results(**inputs)
    paths = write_report(tmp_path / "out", res)
    data = json.loads(paths["results"].read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    per = inputs["per_family"]
    assert data["floor"] == per["floor"]
    for fam, seeds in per.items():
        if fam == "floor":
            continue
        assert data["per_seed"][fam] == seeds
        for key in seeds[0]:
            cell = data["metrics"][fam][key]
            if isinstance(seeds[0][key], float):
                vals = np.array([s[key] for s in seeds])
                assert cell["values"] == pytest.approx(list(vals))
                assert cell["mean"] == pytest.approx(vals.mean())
                assert cell["std"] == pytest.approx(vals.std(ddof=1))
                assert cell["n"] == 3
            else:
                assert cell == {"available": False, "reason": seeds[0][key]["reason"]}
    assert {r["axis"] for r in data["rows"]} >= {"fidelity", "diversity", "likelihood", "sampling_speed"}
    assert data["protocol"] == inputs["protocol"] and data["meta"] == inputs["meta"]
    assert data["recommendation"][0]["text"].startswith("Fidelity: ddpm is best")


def test_html_is_self_contained(inputs, tmp_path):
    res = build_results(**inputs)
    html = write_report(tmp_path / "out", res)["html"].read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", html, re.I)
    srcs = re.findall(r"<img [^>]*src='([^']*)'", html)
    n_images = sum(len(v) for v in inputs["images"].values())
    assert len(srcs) == html.count("<img") == n_images + len(all_figures(res)) == n_images + 4
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert str(tmp_path) not in html and "file:" not in html and "report_files" not in html
    assert "<table class='claims'>" in html and "Protocol manifest" in html


def test_markdown_links_exist(inputs, tmp_path):
    paths = write_report(tmp_path / "out", build_results(**inputs))
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", paths["markdown"].read_text())
    assert len(links) == sum(len(v) for v in inputs["images"].values()) + 4
    assert all((tmp_path / "out" / link).is_file() for link in links)


def test_text_is_escaped(inputs, tmp_path):
    inputs["meta"]["data"] = "<script>alert(1)</script>"
    html = write_report(tmp_path / "out", build_results(**inputs))["html"].read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_missing_image_is_an_error(inputs, tmp_path):
    Path(inputs["images"]["gan"]["samples"]).unlink()
    with pytest.raises(ReportInputError, match="gan/samples"):
        build_results(**inputs)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not on PATH (Debian package 'chromium')")
def test_chromium_decodes_every_image(inputs, tmp_path):
    paths = write_report(tmp_path / "out", build_results(**inputs))
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
           paths["html"].resolve().as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    n = sum(len(v) for v in inputs["images"].values()) + 4
    assert f'data-images="{n}"' in dom
    assert 'data-broken-images="0"' in dom
    assert "class=\"claims\"" in dom or "class='claims'" in dom
