"""When the evidence separates two families, and in which feature spaces.

Every cell carries a standard error `se` (bootstrap over samples for FD, binomial for shares, the bound's
own error for bits/dim; over seeds when there are several). Its 95% interval is mean +- 1.96 se. Two
families are separated on a metric when their intervals do not overlap. A fidelity or diversity comparison
is decided in every calibrated feature space: a family wins only when it is separated and ahead in all of
them; 'tie' when the intervals overlap; 'inconclusive' when the spaces disagree.
"""

from __future__ import annotations

from typing import Literal

from genlab.report.catalogue import fmt, metric
from genlab.report.schema import Cell

Z95 = 1.96
# feature-space suffixes of the per-space metric keys ('' is the first space: the trained evaluator, or the
# only space the data has) and their names in sentences
SPACES = {"": "trained", "_pixels": "pixels", "_dinov2": "DINOv2"}
SPACE_METRICS = ("fd", "kid", "precision", "recall", "density", "coverage")
Decision = Literal["a", "b", "tie", "inconclusive"]
Table = dict[str, dict[str, Cell]]


def half_width(cell: Cell) -> float:
    """Half-width of the 95% interval (0 when the cell has no standard error)."""
    return Z95 * float(cell.get("se") or 0.0)


def interval_text(cell: Cell) -> str:
    """'5.08 ± 0.31' (95% interval) or the bare mean when there is no standard error."""
    hw = half_width(cell)
    return f"{fmt(cell['mean'])} ± {fmt(hw)}" if hw > 0 else fmt(cell["mean"])


def separated(ca: Cell, cb: Cell) -> bool:
    """The two 95% intervals do not overlap."""
    return abs(ca["mean"] - cb["mean"]) > half_width(ca) + half_width(cb)


def space_name(base: str, key: str) -> str:
    return SPACES.get(key[len(base):], key[len(base):].lstrip("_")) if key.startswith(base) else key


def spaces_for(tab: Table, families: list[str], base: str) -> list[str]:
    """The keys of `base` in every calibrated space all `families` were measured in (base alone for metrics
    that have no feature space, such as bits/dim)."""
    if base not in SPACE_METRICS:
        return [base] if all(tab.get(f, {}).get(base, {}).get("available") for f in families) else []
    keys = []
    for suffix in SPACES:
        key = base + suffix
        flag = "calibrated" + suffix
        ok = all(tab.get(f, {}).get(key, {}).get("available") for f in families)
        calibrated = all(tab.get(f, {}).get(flag, {}).get("mean", 1.0) == 1.0 for f in families)
        if ok and calibrated:
            keys.append(key)
    return keys


def decide(tab: Table, a: str, b: str, base: str) -> tuple[Decision | None, str]:
    """Who is better on `base` (direction from the catalogue) in every calibrated space: 'a', 'b', 'tie',
    'inconclusive', or None when no space measured both; with the evidence, space by space."""
    lower = metric(base).better == "lower"
    per_space, parts = [], []
    for key in spaces_for(tab, [a, b], base):
        ca, cb = tab[a][key], tab[b][key]
        ahead = "a" if (ca["mean"] < cb["mean"]) == lower else "b"
        d = ahead if separated(ca, cb) else "tie"
        per_space.append(d)
        sign = "<" if ca["mean"] < cb["mean"] else ">" if ca["mean"] > cb["mean"] else "="
        where = f" ({space_name(base, key)})" if key != base else ""
        note = "" if d != "tie" else ", intervals overlap"
        parts.append(f"{a} {metric(base).label}{where} {interval_text(ca)} {sign} {b} {interval_text(cb)}{note}")
    if not per_space:
        return None, ""
    found = set(per_space)
    if found == {"a"} or found == {"b"}:
        return per_space[0], "; ".join(parts)
    if found == {"tie"}:
        return "tie", "; ".join(parts)
    return "inconclusive", "; ".join(parts) + " (the feature spaces disagree)"
