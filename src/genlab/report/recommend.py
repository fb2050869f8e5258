"""A short recommendation built from the measured means: every sentence is assembled from the values."""

from __future__ import annotations

from genlab.report.catalogue import fmt, metric
from genlab.report.schema import Cell, QualityVsSteps
from genlab.report.verdicts import Z95, interval_text, separated, space_name, spaces_for

Table = dict[str, dict[str, Cell]]


def _means(tab: Table, key: str) -> dict[str, float]:
    return {f: c["mean"] for f, cells in tab.items() if (c := cells.get(key, {})).get("available")}


def _reasons(tab: Table, key: str) -> dict[str, str]:
    return {f: cells.get(key, {}).get("reason", "not measured") for f, cells in tab.items()
            if not cells.get(key, {}).get("available")}


def ranking(tab: Table, base: str, families: list[str] | None = None) -> dict:
    """Who is best on `base` in every calibrated space, and whether the evidence says so.

    {'status': 'wins' | 'tie' | 'inconclusive' | None, 'family', 'with' (tied families), 'text' (evidence)}.
    A family wins only when it is first in every calibrated space and its 95% interval is separated from
    every other family's there; 'tie' when it is first everywhere but some interval overlaps; 'inconclusive'
    when the spaces put different families first."""
    fams = [f for f in (families or list(tab)) if tab[f].get(base, {}).get("available")]
    if len(fams) < 2:
        return {"status": None}
    keys = spaces_for(tab, fams, base)
    if not keys:
        return {"status": None}
    lower = metric(base).better == "lower"
    firsts, parts, tied = {}, [], set()
    for key in keys:
        order = sorted(fams, key=lambda f: tab[f][key]["mean"], reverse=not lower)
        firsts[key] = order[0]
        tied |= {f for f in order[1:] if not separated(tab[order[0]][key], tab[f][key])}
        where = f" ({space_name(base, key)})" if key != base else ""
        parts.append(f"{metric(base).label}{where}: " + ", ".join(f"{f} {interval_text(tab[f][key])}"
                                                                   for f in order))
    text = "; ".join(parts)
    if len(set(firsts.values())) > 1:
        return {"status": "inconclusive", "family": None, "with": sorted(set(firsts.values())), "text": text}
    best = next(iter(firsts.values()))
    return {"status": "tie" if tied else "wins", "family": best, "with": sorted(tied), "text": text}


def _sentence(topic: str, r: dict, what: str) -> str:
    if r["status"] == "wins":
        return (f"{topic}: {r['family']} is best, separated from every other family in every calibrated space "
                f"({r['text']}).")
    if r["status"] == "tie":
        return (f"{topic}: tie between {', '.join([r['family'], *r['with']])}; their 95% intervals overlap, so the "
                f"data does not say which {what} ({r['text']}).")
    return (f"{topic}: inconclusive; the calibrated feature spaces put different families first "
            f"({', '.join(r['with'])}) ({r['text']}).")


def best_fidelity(tab: Table) -> dict | None:
    """The family with the lowest FD in every calibrated space, or a tie / inconclusive verdict."""
    r = ranking(tab, "fd")
    if r["status"] is None:
        return None
    return {"topic": "fidelity", "text": _sentence("Fidelity", r, "has the better samples"),
            "values": {"status": r["status"], "family": r.get("family"), "with": r.get("with")}}


def _fd_keys(tab: Table, fams: list[str]) -> list[str]:
    """The FD cells of every calibrated space all of `fams` have ('fd', 'fd_pixels', ...); 'fd' if none."""
    return spaces_for(tab, fams, "fd") or ["fd"]


def _at_best_fd(tab: Table, fams: list[str], keys: list[str]) -> list[str]:
    """Families whose FD interval overlaps the best one's in at least one calibrated space: the evidence does
    not rule them out as best (a family separated from the best in every space is ruled out)."""
    near = set()
    for key in keys:
        best = min(fams, key=lambda f: tab[f][key]["mean"])
        near |= {f for f in fams if f == best or not separated(tab[best][key], tab[f][key])}
    return sorted(near)


def fastest_near_best(tab: Table, tolerance: float = 0.10) -> dict | None:
    """The fastest sampler among the families whose FD is not separated from the best FD in some calibrated
    space (a family counts as 'at the best' unless every space rules it out)."""
    fd, speed = _means(tab, "fd"), _means(tab, "sample_images_per_s")
    both = [f for f in fd if f in speed]
    if not both:
        return None
    keys = _fd_keys(tab, both)
    near = _at_best_fd(tab, both, keys)
    fast = max(near, key=speed.get)
    fastest = max(both, key=speed.get)
    spaces = "every calibrated space" if len(keys) > 1 else "FD"
    if len(near) == 1:
        text = f"Only {fast} is at the best FD (in {spaces}); it samples at {fmt(speed[fast])} img/s"
        if fastest != fast:
            text += (f", while {fastest} samples {fmt(speed[fastest] / speed[fast])}x faster at FD "
                     f"{interval_text(tab[fastest]['fd'])}")
        text += "."
    else:
        where = " in at least one calibrated space" if len(keys) > 1 else ""
        text = (f"Fastest sampler among the families whose FD interval overlaps the best's{where}: {fast} "
                f"({fmt(speed[fast])} img/s, FD {interval_text(tab[fast]['fd'])}) among {', '.join(near)}.")
    return {"topic": "speed_at_quality", "text": text,
            "values": {"family": fast, "tolerance": tolerance, "candidates": near}}


def best_likelihood(tab: Table) -> dict | None:
    """The family with the lowest bits/dim bound (with its interval), and those without a likelihood."""
    bpd = _means(tab, "bpd")
    missing = {f: r for f, r in _reasons(tab, "bpd").items() if r != "not measured"}
    if not bpd and not missing:
        return None
    r = ranking(tab, "bpd") if len(bpd) > 1 else {"status": "wins" if bpd else None,
                                                   "family": next(iter(bpd), None), "with": []}
    if bpd and r["status"] == "wins":
        best = r["family"]
        text = f"Best likelihood: {best} ({interval_text(tab[best]['bpd'])} bits/dim)"
        others = [f"{f} {interval_text(tab[f]['bpd'])}" for f in sorted(bpd, key=bpd.get) if f != best]
        if others:
            text += f", then {', '.join(others)}"
    elif bpd:
        best = None
        text = _sentence("Likelihood", r, "has the tighter bound").rstrip(".")
    else:
        best, text = None, "No family reports a likelihood"
    if missing:
        text += "; no likelihood for " + ", ".join(f"{f} ({m})" for f, m in missing.items())
    return {"topic": "likelihood", "text": text + ".", "values": {"family": best, "bpd": bpd}}


def pareto_front(tab: Table) -> dict | None:
    """The speed/quality trade-off: families not beaten by another that is at least as fast and has a separated
    lower FD in every calibrated space (one space's lead is not enough to dominate)."""
    fd, speed = _means(tab, "fd"), _means(tab, "sample_images_per_s")
    fams = [f for f in fd if f in speed]
    if len(fams) < 2:
        return None
    keys = _fd_keys(tab, fams)

    def better(g: str, f: str) -> bool:
        return all(tab[g][k]["mean"] < tab[f][k]["mean"] and separated(tab[g][k], tab[f][k]) for k in keys)

    def dominated(f: str) -> bool:
        return any(better(g, f) and speed[g] >= speed[f] for g in fams if g != f)

    front = sorted((f for f in fams if not dominated(f)), key=lambda f: fd[f])
    spaces = " in every calibrated space" if len(keys) > 1 else ""
    if len(front) == 1:
        text = (f"{front[0]} dominates the speed/quality trade-off: separated best FD{spaces} and the highest "
                "sampling throughput.")
    else:
        steps = " -> ".join(f"{f} (FD {interval_text(tab[f]['fd'])}, {fmt(speed[f])} img/s)" for f in front)
        beaten = sorted(set(fams) - set(front))
        text = f"Speed/quality trade-off (Pareto front, best FD first): {steps}"
        text += f"; dominated{spaces}: {', '.join(beaten)}." if beaten else "."
    return {"topic": "trade_off", "text": text, "values": {"front": front}}


def most_diverse(tab: Table) -> dict | None:
    """The family with the highest recall (coverage if no recall) in every calibrated space, or a tie."""
    for key in ("recall", "coverage"):
        r = ranking(tab, key)
        if r["status"] is not None:
            return {"topic": "diversity", "text": _sentence(f"Diversity ({key})", r, "covers more of the data"),
                    "values": {"status": r["status"], "family": r.get("family"), "with": r.get("with")}}
    return None


def cheapest_training(tab: Table) -> dict | None:
    """The family with the highest training throughput."""
    vals = _means(tab, "train_images_per_s")
    if len(vals) < 2:
        return None
    order = sorted(vals, key=vals.get, reverse=True)
    hi, lo = order[0], order[-1]
    text = (f"Cheapest to train: {hi} ({fmt(vals[hi])} img/s), {fmt(vals[hi] / vals[lo])}x the training "
            f"throughput of {lo} ({fmt(vals[lo])} img/s).")
    return {"topic": "training", "text": text, "values": {"family": order[0], "train_images_per_s": vals}}


def _with_se(value: float, se: float | None) -> str:
    return f"{fmt(value)} ± {fmt(Z95 * se)}" if se else fmt(value)


def _near_best(p: tuple, best: tuple, tolerance: float) -> bool:
    """p = (steps, FD, SE or None) is not separated from the best point (within `tolerance` without an SE)."""
    if p[2] is None or best[2] is None:
        return p[1] <= best[1] * (1 + tolerance)
    return p[1] - best[1] <= Z95 * (p[2] + best[2])


def fewest_steps(quality_vs_steps: QualityVsSteps, tolerance: float = 0.10) -> list[dict]:
    """Per diffusion family and sampler: the fewest steps whose FD is not separated from that sampler's best
    (95% intervals, from each point's standard error; within `tolerance` of the best for points without one)."""
    out = []
    for family, samplers in sorted(quality_vs_steps.items()):
        for sampler, points in sorted(samplers.items()):
            pts = sorted((float(p[0]), float(p[1]), float(p[3]) if len(p) > 3 else None) for p in points)
            if not pts:
                continue
            best = min(pts, key=lambda p: p[1])
            steps, fd, se = next(p for p in pts if _near_best(p, best, tolerance))
            most = pts[-1][0]
            how = ("its interval overlaps the best's" if se is not None
                   else f"within {tolerance * 100:.0f}% of its best")
            text = (f"{family} with {sampler}: {fmt(steps)} steps reach FD {_with_se(fd, se)}, {how} "
                    f"(FD {_with_se(best[1], best[2])} at {fmt(best[0])} steps)")
            if steps < most:
                text += f", {fmt(most / steps)}x fewer steps than {fmt(most)}"
            out.append({"topic": "steps", "text": text + ".",
                        "values": {"family": family, "sampler": sampler, "steps": steps, "fd": fd,
                                   "best_fd": best[1], "best_steps": best[0]}})
    return out


def recommend(tab: Table, quality_vs_steps: QualityVsSteps | None = None,
              tolerance: float = 0.10) -> list[dict]:
    """The recommendation: a list of {"topic", "text", "values"}; topics without data are left out."""
    items = [best_fidelity(tab), most_diverse(tab), fastest_near_best(tab, tolerance), pareto_front(tab),
             best_likelihood(tab), cheapest_training(tab)]
    return [i for i in items if i] + fewest_steps(quality_vs_steps or {}, tolerance)
