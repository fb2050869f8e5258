"""Mode collapse said in words: the families whose samples cover fewer than half the modes (2-D mixtures) or the
classes (labelled images) in some seed, read from the per-seed metrics (each run's metrics.json)."""

from __future__ import annotations

from genlab.report.catalogue import fmt
from genlab.train.diagnostics import collapsed

_COUNTS = (("modes", "modes_covered", "num_modes"), ("classes", "classes_covered", "num_classes"))


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def collapse_findings(per_family: dict[str, list[dict]]) -> list[dict]:
    """Per family measured on modes or classes: {'family', 'what', 'covered' (per seed), 'total',
    'collapsed_seeds' (indices of the seeds covering fewer than half)}."""
    out = []
    for family, seeds in per_family.items():
        for what, key, total_key in _COUNTS:
            pairs = [(s[key], s[total_key]) for s in seeds if _number(s.get(key)) and _number(s.get(total_key))]
            if not pairs or not pairs[0][1]:
                continue
            out.append({"family": family, "what": what, "covered": [c for c, _ in pairs], "total": pairs[0][1],
                        "collapsed_seeds": [i for i, (c, t) in enumerate(pairs) if collapsed(c, t)]})
    return out


def _counts(f: dict) -> str:
    return f"{f['family']} {', '.join(fmt(c) for c in f['covered'])}"


def collapse_text(findings: list[dict]) -> str | None:
    """One sentence: which family collapsed in how many seeds, or that none did; None without counts."""
    if not findings:
        return None
    what, total = findings[0]["what"], fmt(findings[0]["total"])
    bad = [f for f in findings if f["collapsed_seeds"]]
    if not bad:
        return (f"No mode collapse: every family covers at least half the {what} in every seed ({what} covered "
                f"of {total}: {'; '.join(_counts(f) for f in findings)}).")
    parts = [f"{f['family']} in {len(f['collapsed_seeds'])} of {len(f['covered'])} seed(s)" for f in bad]
    return (f"Mode collapse: fewer than half the {what} covered by {', '.join(parts)} ({what} covered of {total}: "
            f"{'; '.join(_counts(f) for f in findings)}).")


def collapse_item(per_family: dict[str, list[dict]]) -> dict | None:
    """The recommendation's item on collapse, or None when no family was measured on modes or classes."""
    findings = collapse_findings(per_family)
    text = collapse_text(findings)
    if text is None:
        return None
    return {"topic": "collapse", "text": text,
            "values": {f["family"]: {"covered": f["covered"], "total": f["total"],
                                     "collapsed_seeds": f["collapsed_seeds"]} for f in findings}}
