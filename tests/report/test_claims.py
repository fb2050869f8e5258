"""Verdicts come from the numbers: they flip when the numbers flip, and are 'not testable' without them."""

from __future__ import annotations

import copy

from report_inputs import BASE, make_per_family

from genlab.report import build_results


def _rows(base=None, seeds: int = 3) -> dict:
    res = build_results(make_per_family(base, seeds))
    return {r["axis"]: r for r in res["rows"]}


def _base(**changes) -> dict:
    """BASE with changes given as family__metric=value."""
    b = copy.deepcopy(BASE)
    for key, v in changes.items():
        fam, metric = key.split("__")
        if v is None:
            b[fam].pop(metric)
        else:
            b[fam][metric] = v
    return b


def test_baseline_agrees_with_the_articles():
    rows = _rows()
    assert rows["fidelity"]["verdict"] == "agrees"  # ddpm 3.1, ldm 4.0, gan 5.2 < vae 9.8
    assert "ddpm FD 3.1 ± 0.0702 < vae 9.8 ± 0.222" in rows["fidelity"]["because"]  # 95% intervals
    assert rows["diversity"]["verdict"] == "agrees"  # recall: ddpm .8, ldm .75, vae .7 > gan .3
    assert rows["mode_collapse"]["verdict"] == "agrees"  # gan 5/8 < 8/8; diffusion 8/8 >= vae 8/8 (a tie holds)
    assert rows["sampling_speed"]["verdict"] == "agrees"
    assert rows["training_cost"]["verdict"] == "agrees"  # vae 3000 img/s > ddpm 900, ldm 1500; gan spread largest


def test_fidelity_verdict_flips_when_vae_is_best():
    rows = _rows(_base(vae__fd=1.0))
    assert rows["fidelity"]["verdict"] == "disagrees"
    assert "ddpm FD 3.1 ± 0.0702 > vae 1 ± 0.0226" in rows["fidelity"]["because"]
    assert all(c["holds"] is False for c in rows["fidelity"]["comparisons"])


def test_fidelity_partly_when_only_diffusion_beats_vae():
    rows = _rows(_base(gan__fd=20.0))
    assert rows["fidelity"]["verdict"] == "partly"
    held = {c["evidence"].split(" ")[0]: c["holds"] for c in rows["fidelity"]["comparisons"]}
    assert held == {"ddpm": True, "ldm": True, "gan": False}


def test_fidelity_falls_back_to_kid_then_not_testable():
    rows = _rows(_base(vae__fd=None, gan__fd=None, ddpm__fd=None, ldm__fd=None))
    assert rows["fidelity"]["verdict"] == "agrees"
    assert "KID" in rows["fidelity"]["because"]
    b = _base(**{f"{f}__{m}": None for f in BASE for m in ("fd", "kid")})
    rows = _rows(b)
    assert rows["fidelity"]["verdict"] == "not testable"
    assert "not measured" in rows["fidelity"]["because"]


def test_not_testable_names_the_unavailable_reason():
    b = _base(vae__interp_smoothness={"available": False, "reason": "decoder collapsed"})
    rows = _rows(b)
    lat = rows["latent_space"]
    # only 'VAE encodes and reconstructs' is left testable
    assert lat["verdict"] == "agrees"
    assert sum(c["holds"] is None for c in lat["comparisons"]) == 3
    assert "decoder collapsed" in lat["because"] or any("decoder collapsed" in c["evidence"]
                                                         for c in lat["comparisons"])


def test_likelihood_gan_has_none_and_flips_if_it_has_one():
    rows = _rows()
    lik = {c["evidence"].split(" ")[0] + ":" + c["claim"]: c["holds"] for c in rows["likelihood"]["comparisons"]}
    assert lik["gan:GAN has no likelihood"] is True
    assert lik["ddpm:an ELBO gives a bound in bits/dim"] is True
    assert not any(k.startswith("ldm") for k in lik)  # a latent model's bound is over latents: not compared
    rows = _rows(_base(ddpm__bpd={"available": False, "reason": "no bound"}))
    ddpm = next(c for c in rows["likelihood"]["comparisons"] if c["evidence"].startswith("ddpm"))
    assert ddpm["holds"] is False and "no bound" in ddpm["evidence"]
    rows = _rows(_base(gan__bpd=2.0))
    gan = next(c for c in rows["likelihood"]["comparisons"] if c["claim"] == "GAN has no likelihood")
    assert gan["holds"] is False and "gan NLL bound = 2" in gan["evidence"]
    no_bpd = _base(**{f"{f}__bpd": None for f in BASE})
    assert _rows(no_bpd)["likelihood"]["verdict"] == "not testable"


def test_sampling_speed_disagrees_when_diffusion_is_fastest():
    rows = _rows(_base(ddpm__sample_images_per_s=1e6, ldm__sample_images_per_s=2e6))
    assert rows["sampling_speed"]["verdict"] == "disagrees"


def test_gan_stability_needs_two_seeds():
    rows = _rows(seeds=1)
    gan = next(c for c in rows["training_cost"]["comparisons"] if c["claim"].startswith("GAN"))
    assert gan["holds"] is None and "2+ seeds" in gan["evidence"]
    # one seed: no std anywhere
    res = build_results(make_per_family(seeds=1))
    assert all(c.get("std") is None for cells in res["metrics"].values() for c in cells.values())


def test_seed_spread_makes_a_tie():
    b = _base(gan__fd=9.7)  # gan's FD spread (30% per seed) swamps the 0.1 gap to vae
    rows = _rows(b)
    assert "intervals overlap: tie on 'GAN beats VAE on fidelity'" in rows["fidelity"]["because"]
    assert rows["fidelity"]["verdict"] == "partly"  # diffusion still separated from the VAE
    gan = [c for c in rows["fidelity"]["comparisons"] if c["claim"].startswith("GAN")]
    assert gan[0]["holds"] is None and gan[0]["status"] == "tie"


def test_mode_collapse_ties_refute_gan_collapse_but_not_diffusion_robustness():
    rows = _rows(_base(gan__modes_covered=8.0))
    mc = rows["mode_collapse"]
    assert mc["verdict"] == "partly"
    gan = [c for c in mc["comparisons"] if c["claim"].startswith("GAN")]
    assert gan and all(c["holds"] is None and c["status"] == "tie" and "= gan 1" in c["evidence"] for c in gan)
    rows = _rows(_base(gan__modes_covered=8.0, ddpm__modes_covered=6.0, ldm__modes_covered=7.0))
    assert rows["mode_collapse"]["verdict"] == "disagrees"  # 6/8, 7/8 < gan 8/8 and < vae 8/8
