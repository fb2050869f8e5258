"""A tiny compare on a 2-D mixture and on digits produces every artifact, and results.json holds every cell."""

import json
import shutil
import subprocess

import pytest

from genlab.cli import main

TINY = ["--n-eval", "200", "--n-curve", "64", "--n-likelihood", "4", "--n-latent", "8",
        "--step-grid", "ddpm:10;ddim:2,5;dpm_solver:2,5", "--quiet", "--device", "cpu"]


def _results(out):
    return json.loads((out / "results.json").read_text())


def _cells(results):
    """Every (row, family, metric) cell of the comparison table in results.json."""
    for row in results["rows"]:
        for fam, cells in row["cells"].items():
            yield from ((row, fam, key, cell) for key, cell in cells.items())


@pytest.fixture(scope="module")
def digits_compare(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp-digits")
    assert main(["compare", "--data", "digits", "--steps", "12", "--out", str(out), *TINY,
                 "--set", "ldm.model.stage1_fraction=0.5"]) == 0
    return out


def test_digits_compare_writes_every_artifact(digits_compare):
    out = digits_compare
    for name in ("report.html", "report.md", "results.json"):
        assert (out / name).is_file()
    for fam in ("vae", "gan", "ddpm", "ldm"):
        run = out / "runs" / f"{fam}-seed0"
        assert (run / "metrics.json").is_file() and (run / "samples" / "final.png").is_file()
    assert (out / "runs" / "ddpm-seed0" / "samples" / "inpaint.png").is_file()
    assert (out / "runs" / "ddpm-seed0" / "samples" / "img2img.png").is_file()
    assert (out / "runs" / "vae-seed0" / "samples" / "reconstructions.png").is_file()
    qvs = json.loads((out / "runs" / "ddpm-seed0" / "quality_vs_steps.json").read_text())
    assert set(qvs) == {"ddpm", "ddim", "dpm_solver"} and [p[0] for p in qvs["ddim"]] == [2, 5]
    elbo = json.loads((out / "runs" / "ddpm-seed0" / "elbo_view.json").read_text())
    assert len(elbo["L_t_bpd"]) == 1000 and elbo["total_bpd"] > 0
    log = [json.loads(line) for line in (out / "runs" / "gan-seed0" / "metrics.jsonl").read_text().splitlines()]
    assert sum("probe/fd" in r for r in log) == 5  # quality against training time
    # the evaluation's class coverage goes into the run's log, with the collapse flag beside the count
    metrics = json.loads((out / "runs" / "gan-seed0" / "metrics.json").read_text())["mode_collapse"]
    last = [r for r in log if "eval/classes_covered" in r][-1]
    assert last["step"] == 12 and last["eval/classes_covered"] == metrics["classes_covered"]
    assert last["eval/collapsed"] == float(metrics["classes_covered"] < 5) and last["eval/num_classes"] == 10


def test_results_json_holds_every_table_cell(digits_compare):
    results = _results(digits_compare)
    metrics = {fam: json.loads((digits_compare / "runs" / f"{fam}-seed0" / "metrics.json").read_text())
               for fam in ("vae", "gan", "ddpm", "ldm")}
    cells = list(_cells(results))
    assert {fam for _, fam, _, _ in cells} == {"vae", "gan", "ddpm", "ldm"}
    assert {row["axis"] for row, _, _, _ in cells} >= {"fidelity", "diversity", "likelihood", "latent_space"}
    for row, fam, key, cell in cells:
        assert ("mean" in cell) or (cell.get("available") is False and cell.get("reason")), (row["axis"], fam, key)
    # each table cell is exactly the number in that run's metrics.json
    fd_cells = {fam: cell for _, fam, key, cell in cells if key == "fd"}
    assert set(fd_cells) == set(metrics)
    for fam, cell in fd_cells.items():
        assert cell["mean"] == pytest.approx(metrics[fam]["fidelity"]["fd"])
    bpd = {fam: cell for _, fam, key, cell in cells if key == "bpd"}
    assert bpd["gan"]["available"] is False and "likelihood" in bpd["gan"]["reason"]
    assert bpd["vae"]["mean"] == pytest.approx(metrics["vae"]["likelihood"]["bits_per_dim"])
    assert all(row["verdict"] in ("agrees", "disagrees", "partly", "tie", "inconclusive", "not testable")
               for row in results["rows"])


def test_rerun_skips_finished_families(digits_compare, capsys):
    before = {p: p.stat().st_mtime for p in (digits_compare / "runs").glob("*/metrics.json")}
    assert main(["compare", "--data", "digits", "--steps", "12", "--out", str(digits_compare), *TINY,
                 "--set", "ldm.model.stage1_fraction=0.5"]) == 0
    after = {p: p.stat().st_mtime for p in (digits_compare / "runs").glob("*/metrics.json")}
    assert before == after


def test_ring8_compare_with_two_seeds_has_mode_metrics_and_spreads(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "--data", "ring8", "--steps", "20", "--seeds", "2", "--out", str(out), *TINY]) == 0
    results = _results(out)
    fams = {fam for _, fam, _, _ in _cells(results)}
    assert fams == {"vae", "gan", "ddpm"}  # no latent diffusion on 2-D points
    fd = {fam: cell for _, fam, key, cell in _cells(results) if key == "fd"}
    for fam, cell in fd.items():
        runs = [json.loads((out / "runs" / f"{fam}-seed{s}" / "metrics.json").read_text())["fidelity"]["fd"]
                for s in (0, 1)]
        assert cell["n"] == 2 and cell["mean"] == pytest.approx(sum(runs) / 2)
        assert cell["std"] == pytest.approx(abs(runs[0] - runs[1]) / 2 ** 0.5, rel=1e-6) or \
            cell["std"] == pytest.approx(abs(runs[0] - runs[1]) / 2, rel=1e-6)
    metrics = json.loads((out / "runs" / "gan-seed0" / "metrics.json").read_text())
    assert metrics["mode_collapse"]["modes_total"] == 8
    assert (out / "runs" / "gan-seed0" / "samples" / "final.png").is_file()


def test_report_opens_in_headless_chromium(digits_compare, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    html = (digits_compare / "report.html").resolve()
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                        html.as_uri()], capture_output=True, text=True, timeout=120)
    dom = r.stdout
    assert "<table" in dom
    n_img = dom.count("<img")
    assert n_img >= 8
    assert 'data-broken-images="0"' in dom, "an image failed to decode"


def test_metrics_made_under_another_protocol_are_refused(digits_compare, tmp_path):
    from genlab.compare import CompareSpec, write_compare_report
    from genlab.data import load_dataset
    from genlab.errors import GenlabError

    out = tmp_path / "copy"
    shutil.copytree(digits_compare, out)
    path = out / "runs" / "gan-seed0" / "metrics.json"
    m = json.loads(path.read_text())
    m["protocol"]["n_samples"] = 5000
    path.write_text(json.dumps(m))
    spec = CompareSpec(data="digits", families=("vae", "gan", "ddpm", "ldm"), out=out)
    with pytest.raises(GenlabError, match="n_samples"):
        write_compare_report(spec, load_dataset("digits"))


def test_unavailable_sections_carry_their_reason_into_the_table():
    from genlab.report.inputs import flatten_metrics

    no = {"available": False, "reason": "unlabelled images: no evaluator"}
    flat = flatten_metrics({"fidelity": no, "floor": no, "mode_collapse": no, "memorization": no,
                            "likelihood": {"bits_per_dim": 3.5}, "latent": {},
                            "cost": {"nfe": 1.0, "peak_memory_bytes": no}})
    assert flat["peak_mem_mb"] == no
    assert flatten_metrics({"cost": {"peak_memory_bytes": 3 * 2.0**20}})["peak_mem_mb"] == 3.0
    for key in ("fd", "kid", "precision", "recall", "density", "coverage", "classes_covered", "memorization"):
        assert flat[key] == no, key
    assert flat["bpd"] == 3.5 and flat["nfe"] == 1.0
