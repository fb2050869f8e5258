"""The report's four 'uses' sections (issue 17): anomaly detection, compression, representations and the
bottleneck, each a table with a verdict against the seeds' claims. Intervals are 95%: mean +- 1.96 se for AUROC
(Hanley & McNeil) and rates, Wilson for probe accuracies; overlapping intervals make a tie, never a win."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from genlab.report.uses_figure import CAPTION, figure_html

Z95 = 1.96
_ORDER = ("vae", "gan", "ddpm", "ldm")


def _f(v, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def _iv(mean: float, se: float) -> tuple[float, float]:
    return mean - Z95 * se, mean + Z95 * se


def _apart(a: tuple[float, float], b: tuple[float, float]) -> str:
    """'above' / 'below' when interval a lies wholly above / below b, else 'overlap'."""
    return "above" if a[0] > b[1] else "below" if a[1] < b[0] else "overlap"


def _overall(against: dict[str, str], better: str = "above") -> str:
    """agrees when the claimed family is ahead of every rival, disagrees when behind every one, tie when all
    overlap, inconclusive when mixed."""
    found = set(against.values())
    if not found:
        return "not testable"
    worse = "below" if better == "above" else "above"
    return {frozenset({better}): "agrees", frozenset({worse}): "disagrees",
            frozenset({"overlap"}): "tie"}.get(frozenset(found), "inconclusive")


def _fams(per_family: dict) -> list[str]:
    return [f for f in _ORDER if f in per_family] + [f for f in per_family if f not in _ORDER]


def anomaly_section(per_family: dict) -> dict:
    """AUROC (FPR at 95% TPR) of every score on every OOD set; VAE's best score against each family's best."""
    fams = _fams(per_family)
    sets = list(next((u["anomaly"]["sets"] for u in per_family.values() if "sets" in u.get("anomaly", {})), {}))
    rows, best, notes = [], {}, []
    for f in fams:
        an = per_family[f].get("anomaly", {})
        notes += [n for n in an.get("notes", []) if n not in notes] + an.get("higher_likelihood_ood", [])
        for score, rec in an.get("scores", {}).items():
            if "sets" not in rec:
                rows.append([f, score] + [f"unavailable: {rec.get('reason', '')}"] * len(sets))
                continue
            cells = []
            for s in sets:
                d = rec["sets"][s]
                cells.append(f"{d['auroc']:.3f} ± {Z95 * d['auroc_se']:.3f} ({d['fpr95']:.2f})")
                if d["auroc"] > best.get((f, s), (None, -1.0))[1]:
                    best[(f, s)] = (score, d["auroc"], d["auroc_se"])
            rows.append([f, score, *cells])
    because, per_set = [], {}
    if "vae" in fams:
        for s in sets:
            if ("vae", s) not in best:
                continue
            v = best[("vae", s)]
            for f in fams:
                if f != "vae" and (f, s) in best:
                    o = best[(f, s)]
                    rel = _apart(_iv(v[1], v[2]), _iv(o[1], o[2]))
                    per_set[f"{s}/{f}"] = rel
                    because.append(f"{s}: vae ({v[0]}) {v[1]:.3f} {dict(above='>', below='<').get(rel, '≈')} "
                                   f"{f} ({o[0]}) {o[1]:.3f}")
    return {"key": "anomaly", "title": "Anomaly detection",
            "claim": "VAEs are used for anomaly detection (seed 000): the VAE's best score should separate "
                     "out-of-distribution data better than the other families'",
            "verdict": _overall(per_set), "because": because,
            "columns": ["family", "score", *[f"{s}: AUROC ↑ (FPR@95%TPR ↓)" for s in sets]], "rows": rows,
            "notes": [f"{s}: {per_family[fams[0]]['anomaly']['sets'][s]}" for s in sets] + notes,
            "data": {f: per_family[f].get("anomaly", {}) for f in fams}}


def compression_section(per_family: dict, sweep: list[dict] | None = None) -> dict:
    """The VAE's rate-distortion points (its own run and the beta sweep), the LDM autoencoder's point, and each
    likelihood's bits/dim as a lossless code length."""
    rows, points = [], {}
    for p in sorted(sweep or [], key=lambda p: p.get("beta") or 0.0):
        if "rate_bits" in p:
            rows.append([f"vae sweep (beta {_f(p.get('beta'))})", _f(p["rate_bits"], 4), _f(p["mse"]),
                         _f(p["psnr"]), "–"])
    for f in _fams(per_family):
        comp = per_family[f].get("compression", {})
        pt, lossless = comp.get("point", {}), comp.get("lossless", {})
        if "rate_bits" in pt:
            points[f] = pt
            name = "vae" + (f" (beta {_f(pt.get('beta'))})" if pt.get("beta") is not None else "")
            rows.append([name if f == "vae" else f"{f} autoencoder", _f(pt["rate_bits"], 4), _f(pt["mse"]),
                         _f(pt["psnr"]), "–"])
        if "bits_per_dim" in lossless:
            rows.append([f"{f} (lossless, likelihood bound)", _f(lossless["bits_per_image"], 4), "0", "∞",
                         f"{lossless['bits_per_dim']:.3f} ± {Z95 * lossless.get('bits_per_dim_se', 0.0):.3f}"])
    verdict, because = "not testable", []
    if "vae" in points and "ldm" in points:
        v, ldm = points["vae"], points["ldm"]
        rate = _apart(_iv(v["rate_bits"], v["rate_bits_se"]), _iv(ldm["rate_bits"], ldm["rate_bits_se"]))
        sharper = v["psnr"] > ldm["psnr"]
        if rate == "below" and sharper:
            verdict = "agrees"
        elif rate == "above" and not sharper:
            verdict = "disagrees"
        else:
            verdict = "tie"
        because.append(f"vae {v['rate_bits']:.1f} bits/image at {v['psnr']:.1f} dB; ldm autoencoder "
                       f"{ldm['rate_bits']:.1f} bits/image at {ldm['psnr']:.1f} dB"
                       + ("" if verdict != "tie" else " (neither is both cheaper and sharper)"))
    swept = [p for p in sweep or [] if "rate_bits" in p]
    if len(swept) > 1:
        s = sorted(swept, key=lambda p: p["beta"])
        mono = all(a["rate_bits"] >= b["rate_bits"] for a, b in zip(s, s[1:], strict=False))
        because.append("the beta sweep " + ("traces the trade-off: larger beta, fewer bits" if mono else
                                            "is not monotone in rate (short runs: noisy)"))
    return {"key": "compression", "title": "Compression (rate-distortion)",
            "claim": "VAEs are used for data compression (seed 000): the VAE's code should be cheaper or sharper "
                     "than the LDM autoencoder's",
            "verdict": verdict, "because": because,
            "columns": ["code", "rate [bits/image] ↓", "MSE ↓", "PSNR [dB] ↑", "lossless bits/dim ↓"], "rows": rows,
            "notes": ["rate = KL(q(z|x) || N(0, I)) in bits per image; distortion of the decoder at z ~ q(z|x); "
                      "lossless rows: the likelihood bound as a code length (bits per image in the rate column)"],
            "data": {"sweep": list(sweep or []), "points": points,
                     "lossless": {f: per_family[f].get("compression", {}).get("lossless") for f in _fams(per_family)}}}


def representations_section(per_family: dict) -> dict:
    """Linear-probe accuracy [95% Wilson interval] of every representation; the VAE's best against the others'."""
    rows, best, pixels = [], {}, None
    for f in _fams(per_family):
        reps = per_family[f].get("representations", {})
        if "available" in reps:  # no labels: nothing to probe
            continue
        for name, r in reps.items():
            if "accuracy" not in r:
                rows.append([f, name, f"unavailable: {r.get('reason', '')}", "–"])
                continue
            if name == "pixels":
                pixels = pixels or r
                continue
            rows.append([f, r.get("what", name), f"{r['accuracy']:.3f} [{r['low']:.3f}, {r['high']:.3f}]",
                         str(r["features"])])
            if r["accuracy"] > best.get(f, {}).get("accuracy", -1.0):
                best[f] = r
    if pixels:
        rows.append(["baseline", "raw pixels", f"{pixels['accuracy']:.3f} [{pixels['low']:.3f}, "
                                               f"{pixels['high']:.3f}]", str(pixels["features"])])
    against, because = {}, []
    if "vae" in best:
        v = best["vae"]
        for f, o in best.items():
            if f != "vae":
                against[f] = _apart((v["low"], v["high"]), (o["low"], o["high"]))
                because.append(f"vae {v['accuracy']:.3f} vs {f} {o['accuracy']:.3f}: "
                               + {"above": "ahead", "below": "behind", "overlap": "intervals overlap"}[against[f]])
        if pixels:
            rel = _apart((v["low"], v["high"]), (pixels["low"], pixels["high"]))
            because.append(f"vs raw pixels {pixels['accuracy']:.3f}: "
                           + {"above": "ahead", "below": "behind", "overlap": "intervals overlap"}[rel])
    return {"key": "representations", "title": "Representations (linear probe)",
            "claim": "VAE: a good latent space for representation learning (seed 000): its probe should beat the "
                     "other families'",
            "verdict": _overall(against), "because": because,
            "columns": ["family", "representation", "test accuracy ↑ [95% interval]", "features"], "rows": rows,
            "notes": ["logistic regression fitted on training-split features and labels only; accuracy on the test "
                      "split"], "data": {f: per_family[f].get("representations") for f in _fams(per_family)}}


def bottleneck_section(per_family: dict) -> dict:
    """Latent against data dimension, active units and reconstruction per family."""
    rows, b = [], {}
    for f in _fams(per_family):
        r = per_family[f].get("bottleneck", {})
        if "latent_dim" not in r:
            rows.append([f, f"unavailable: {r.get('reason', '')}"] + ["–"] * 6)
            continue
        b[f] = r
        rows.append([f, r["latent"], str(r["latent_dim"]), str(r["data_dim"]), f"{r['ratio']:.3g}",
                     _f(r["active_units"]), _f(r["mse"]), _f(r["psnr"])])
    verdict, because = "not testable", []
    if "vae" in b and "ddpm" in b:
        v, d = b["vae"], b["ddpm"]
        verdict = "agrees" if v["ratio"] < 1 and d["ratio"] == 1 else "disagrees"
        because.append(f"vae latent {v['latent_dim']} of {v['data_dim']} dims ({v['active_units']} active); ddpm "
                       f"x_T {d['latent_dim']} dims")
        because.append(f"reconstruction MSE: vae {v['mse']:.4g}, ddpm (DDIM inversion) {d['mse']:.4g}")
    return {"key": "bottleneck", "title": "The bottleneck",
            "claim": "The VAE has a strict information bottleneck, a latent much smaller than the image; diffusion's "
                     "latent is of the data's own size (seed 003)",
            "verdict": verdict, "because": because,
            "columns": ["family", "latent", "latent dim", "data dim", "ratio", "active units", "MSE ↓", "PSNR ↑"],
            "rows": rows, "notes": ["active units: Cov_x(E_q[z_u]) > 0.01 (Burda et al. 2016)"], "data": b}


def build_uses(per_family: dict[str, dict], sweep: list[dict] | None = None) -> list[dict]:
    """The four sections from each family's 'uses' record (metrics.json) and the beta sweep's points."""
    per_family = {f: u for f, u in per_family.items() if u}
    return [anomaly_section(per_family), compression_section(per_family, sweep),
            representations_section(per_family), bottleneck_section(per_family)]


def collect_uses(out: Path, families) -> tuple[dict[str, dict], list[dict]]:
    """Each family's uses (seed 0: uses.json, else metrics.json's 'uses') and the sweep points under OUT/uses/."""
    per_family = {}
    for f in families:
        run = Path(out) / "runs" / f"{f}-seed0"
        for name in ("uses.json", "metrics.json"):
            if (run / name).is_file():
                got = json.loads((run / name).read_text())
                if name == "uses.json" or "uses" in got:
                    per_family[f] = got if name == "uses.json" else got["uses"]
                    break
    sweep = [json.loads(p.read_text()) for p in sorted((Path(out) / "uses").glob("*/rate_distortion.json"))]
    return per_family, sweep


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def uses_markdown(sections: list[dict] | None, figure_path: str | None = None) -> list[str]:
    """Markdown lines of the uses sections (none when the compare ran without --uses); `figure_path`: the
    rate-distortion PNG, shown in the compression section."""
    out = []
    for s in sections or []:
        out += ["", f"## Uses: {s['title']}", "", f"*Claim:* {s['claim']}", "",
                f"**Verdict: {s['verdict']}**" + (": " + "; ".join(s["because"]) if s["because"] else ""), "",
                "| " + " | ".join(map(_cell, s["columns"])) + " |", "|" + "---|" * len(s["columns"])]
        out += ["| " + " | ".join(map(_cell, r)) + " |" for r in s["rows"]]
        out += [""] + [f"- {n}" for n in s["notes"]]
        if s["key"] == "compression" and figure_path:
            out += ["", f"![rate-distortion]({figure_path})", "", f"*{CAPTION}*"]
    return out


def uses_html(sections: list[dict] | None, figure: tuple[str, bytes] | None = None) -> str:
    """HTML of the uses sections ('' when the compare ran without --uses); `figure`: the rate-distortion
    (caption, PNG), inline in the compression section."""
    parts = []
    for s in sections or []:
        v = s["verdict"]
        head = "".join(f"<th>{escape(c)}</th>" for c in s["columns"])
        body = "".join("<tr>" + "".join(f"<td class='num'>{escape(str(c))}</td>" for c in r) + "</tr>"
                       for r in s["rows"])
        parts.append(f"<h2>Uses: {escape(s['title'])}</h2><p class='claim'>{escape(s['claim'])}</p>"
                     f"<p><span class='verdict {v.replace(' ', '-')}'>{escape(v)}</span> "
                     f"{escape('; '.join(s['because']))}</p><div class='wide'><table><thead><tr>{head}</tr></thead>"
                     f"<tbody>{body}</tbody></table></div><ul class='because'>"
                     + "".join(f"<li>{escape(n)}</li>" for n in s["notes"]) + "</ul>"
                     + (figure_html(figure[1] if figure else None) if s["key"] == "compression" else ""))
    return "".join(parts)
