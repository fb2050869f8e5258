"""Table cells: a metric's mean, std and n over seeds per family, or the reason it is unavailable."""

from __future__ import annotations

import math

from genlab.report.catalogue import DERIVED, fmt, metric
from genlab.report.schema import Cell, PerFamily, SeedMetrics

NOT_MEASURED = "not measured"  # the reason of a key no seed reported (as opposed to one reported unavailable)


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict) and isinstance(value.get("mean"), int | float):
        return float(value["mean"])
    return None


def _reason(value) -> str:
    if isinstance(value, dict) and value.get("available") is False:
        return str(value.get("reason", "not available"))
    return f"not a number: {value!r}"[:120]


def with_derived(seed: SeedMetrics) -> SeedMetrics:
    """The seed's metrics plus the derived ratios (modes covered / modes in data, ...) where both exist."""
    out = dict(seed)
    for key, (num, den) in DERIVED.items():
        a, b = _number(seed.get(num)), _number(seed.get(den))
        if key not in out and a is not None and b:
            out[key] = a / b
        elif key not in out and num in seed and a is None:
            out[key] = {"available": False, "reason": _reason(seed[num])}
    return out


def aggregate(seeds: list[SeedMetrics], key: str) -> Cell:
    """Mean, sample std (None for one seed) and n of `key` over seeds; unavailable if any seed lacks it."""
    if not seeds:
        return {"available": False, "reason": "no seeds were evaluated"}
    values = []
    for s in seeds:
        if key not in s:
            return {"available": False, "reason": NOT_MEASURED}
        v = _number(s[key])
        if v is None:
            return {"available": False, "reason": _reason(s[key])}
        values.append(v)
    n = len(values)
    mean = math.fsum(values) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {"available": True, "mean": mean, "std": std, "n": n, "values": values}


def with_se(cell: Cell, se_cell: Cell) -> Cell:
    """The cell with its standard error: the measurement's own (one seed), or the spread over seeds, never
    below the measurements' own errors averaged over the seeds."""
    if not cell.get("available") or (cell["n"] < 2 and not se_cell.get("available")):
        return cell
    n = cell["n"]
    own = math.sqrt(math.fsum(v * v for v in se_cell["values"]) / n) / math.sqrt(n) if se_cell.get("available") else 0.0
    spread = cell["std"] / math.sqrt(n) if cell.get("std") is not None else 0.0
    return {**cell, "se": max(own, spread)}


def table(per_family: PerFamily) -> dict[str, dict[str, Cell]]:
    """family -> key -> Cell, for every key any seed of any family has (derived ratios included); a key K
    with a K_se companion gets 'se' in its cell."""
    seeds = {f: [with_derived(s) for s in rows] for f, rows in per_family.items()}
    keys = sorted({k for rows in seeds.values() for s in rows for k in s})
    out = {}
    for f, rows in seeds.items():
        cells = {k: aggregate(rows, k) for k in keys}
        out[f] = {k: with_se(c, cells.get(k + "_se", {})) for k, c in cells.items()}
    return out


def cell_text(cell: Cell, key: str, with_unit: bool = True) -> str:
    """'3.1 ± 0.2 img/s': the half-width of the 95% interval when the cell has a standard error, else the
    std over seeds when there are several; or 'n/a (reason)'."""
    if not cell.get("available"):
        return f"n/a ({cell.get('reason', 'not measured')})"
    text = fmt(cell["mean"])
    if cell.get("se"):
        text += f" ± {fmt(1.96 * cell['se'])}"
    elif cell.get("std") is not None:
        text += f" ± {fmt(cell['std'])} (std)"
    unit = metric(key).unit
    return f"{text} {unit}" if with_unit and unit else text
