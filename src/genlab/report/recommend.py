"""A short recommendation built from the measured means: every sentence is assembled from the values."""

from __future__ import annotations

from genlab.report.catalogue import fmt
from genlab.report.schema import Cell, QualityVsSteps

Table = dict[str, dict[str, Cell]]


def _means(tab: Table, key: str) -> dict[str, float]:
    return {f: c["mean"] for f, cells in tab.items() if (c := cells.get(key, {})).get("available")}


def _reasons(tab: Table, key: str) -> dict[str, str]:
    return {f: cells.get(key, {}).get("reason", "not measured") for f, cells in tab.items()
            if not cells.get(key, {}).get("available")}


def best_fidelity(tab: Table) -> dict | None:
    """The family with the lowest mean FD, and its margin over the next."""
    fd = _means(tab, "fd")
    if not fd:
        return None
    order = sorted(fd, key=fd.get)
    best = order[0]
    text = f"Best fidelity: {best} (FD {fmt(fd[best])})"
    if len(order) > 1:
        nxt = order[1]
        ratio = fd[nxt] / fd[best] if fd[best] > 0 else float("inf")
        text += f", {fmt(ratio)}x lower than the next, {nxt} (FD {fmt(fd[nxt])})"
    return {"topic": "fidelity", "text": text + ".", "values": {"family": best, "fd": fd}}


def fastest_near_best(tab: Table, tolerance: float = 0.10) -> dict | None:
    """The fastest sampler among the families whose FD is within `tolerance` of the best FD."""
    fd, speed = _means(tab, "fd"), _means(tab, "sample_images_per_s")
    both = {f: fd[f] for f in fd if f in speed}
    if not both:
        return None
    best_fd = min(both.values())
    near = [f for f, v in both.items() if v <= best_fd * (1 + tolerance)]
    fast = max(near, key=speed.get)
    pct = f"{tolerance * 100:.0f}%"
    fastest = max(both, key=speed.get)
    if len(near) == 1:
        text = f"Only {fast} is within {pct} of the best FD; it samples at {fmt(speed[fast])} img/s"
        if fastest != fast:
            text += (f", while {fastest} samples {fmt(speed[fastest] / speed[fast])}x faster at FD "
                     f"{fmt(fd[fastest])}")
        text += "."
    else:
        text = (f"Fastest sampler within {pct} of the best FD: {fast} ({fmt(speed[fast])} img/s, "
                f"FD {fmt(fd[fast])}) among {', '.join(sorted(near))}.")
    return {"topic": "speed_at_quality", "text": text,
            "values": {"family": fast, "tolerance": tolerance, "candidates": sorted(near)}}


def best_likelihood(tab: Table) -> dict | None:
    """The family with the lowest bits/dim bound, and those without a likelihood (with reasons)."""
    bpd = _means(tab, "bpd")
    missing = {f: r for f, r in _reasons(tab, "bpd").items() if r != "not measured"}
    if not bpd and not missing:
        return None
    if bpd:
        best = min(bpd, key=bpd.get)
        text = f"Best likelihood: {best} ({fmt(bpd[best])} bits/dim)"
        others = [f"{f} {fmt(v)}" for f, v in sorted(bpd.items(), key=lambda kv: kv[1]) if f != best]
        if others:
            text += f", then {', '.join(others)}"
    else:
        best, text = None, "No family reports a likelihood"
    if missing:
        text += "; no likelihood for " + ", ".join(f"{f} ({r})" for f, r in missing.items())
    return {"topic": "likelihood", "text": text + ".", "values": {"family": best, "bpd": bpd}}


def pareto_front(tab: Table) -> dict | None:
    """The speed/quality trade-off: families not beaten on both FD and sampling throughput by another."""
    fd, speed = _means(tab, "fd"), _means(tab, "sample_images_per_s")
    fams = [f for f in fd if f in speed]
    if len(fams) < 2:
        return None

    def dominated(f: str) -> bool:
        return any(fd[g] <= fd[f] and speed[g] >= speed[f] and (fd[g], speed[g]) != (fd[f], speed[f])
                   for g in fams)

    front = [f for f in fams if not dominated(f)]
    front.sort(key=lambda f: fd[f])
    if len(front) == 1:
        text = f"{front[0]} dominates the speed/quality trade-off: lowest FD and highest sampling throughput."
    else:
        steps = " -> ".join(f"{f} (FD {fmt(fd[f])}, {fmt(speed[f])} img/s)" for f in front)
        dominated = sorted(set(fams) - set(front))
        text = f"Speed/quality trade-off (Pareto front, best FD first): {steps}"
        text += f"; dominated: {', '.join(dominated)}." if dominated else "."
    return {"topic": "trade_off", "text": text, "values": {"front": front}}


def most_diverse(tab: Table) -> dict | None:
    """The family with the highest recall (coverage if no recall)."""
    for key, label in (("recall", "recall"), ("coverage", "coverage")):
        vals = _means(tab, key)
        if vals:
            best = max(vals, key=vals.get)
            return {"topic": "diversity", "text": f"Most diverse: {best} ({label} {fmt(vals[best])}).",
                    "values": {"family": best, key: vals}}
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


def fewest_steps(quality_vs_steps: QualityVsSteps, tolerance: float = 0.10) -> list[dict]:
    """Per diffusion family and sampler: fewest steps with FD within `tolerance` of that sampler's best."""
    out = []
    for family, samplers in sorted(quality_vs_steps.items()):
        for sampler, points in sorted(samplers.items()):
            pts = sorted((float(p[0]), float(p[1])) for p in points)
            if not pts:
                continue
            best_steps, best_fd = min(pts, key=lambda p: p[1])
            steps, fd = next(p for p in pts if p[1] <= best_fd * (1 + tolerance))
            most = pts[-1][0]
            text = (f"{family} with {sampler}: {fmt(steps)} steps reach FD {fmt(fd)}, within "
                    f"{tolerance * 100:.0f}% of its best (FD {fmt(best_fd)} at {fmt(best_steps)} steps)")
            if steps < most:
                text += f", {fmt(most / steps)}x fewer steps than {fmt(most)}"
            out.append({"topic": "steps", "text": text + ".",
                        "values": {"family": family, "sampler": sampler, "steps": steps, "fd": fd,
                                   "best_fd": best_fd, "best_steps": best_steps}})
    return out


def recommend(tab: Table, quality_vs_steps: QualityVsSteps | None = None,
              tolerance: float = 0.10) -> list[dict]:
    """The recommendation: a list of {"topic", "text", "values"}; topics without data are left out."""
    items = [best_fidelity(tab), most_diverse(tab), fastest_near_best(tab, tolerance), pareto_front(tab),
             best_likelihood(tab), cheapest_training(tab)]
    return [i for i in items if i] + fewest_steps(quality_vs_steps or {}, tolerance)
