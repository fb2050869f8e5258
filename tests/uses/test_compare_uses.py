"""`genlab compare --uses` end to end on digits (slow: several minutes on two CPU cores; GENLAB_SLOW=1)."""

import json

import pytest

from genlab.cli import main


@pytest.mark.slow
def test_compare_uses_writes_four_sections(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "--data", "digits", "--steps", "6", "--uses", "--uses-n", "40", "--n-eval", "40",
                 "--n-curve", "20", "--n-likelihood", "8", "--n-latent", "8", "--step-grid", "ddim:2", "--out",
                 str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert [s["key"] for s in results["uses"]] == ["anomaly", "compression", "representations", "bottleneck"]
    assert len(results["uses"][1]["data"]["sweep"]) == 3  # betas 0.5, 1, 2
    assert all((out / "runs" / f"{f}-seed0" / "uses.json").is_file() for f in ("vae", "gan", "ddpm", "ldm"))
    assert "## Uses: The bottleneck" in (out / "report.md").read_text()


def test_sweep_budget_and_betas_parse():
    from genlab.cli.compare import parse_betas
    from genlab.errors import ConfigError
    from genlab.evaluation.uses_sweep import split_budget

    assert split_budget({"budget": "10m"}, 3) == {"budget": "200s"}
    assert split_budget({"steps": 10}, 3) == {"steps": 3}
    assert parse_betas("0.5, 1,2") == (0.5, 1.0, 2.0) and parse_betas("") == ()
    with pytest.raises(ConfigError):
        parse_betas("-1")
