"""Assemble the results dict (the content of results.json) from the plain data `genlab compare` hands over."""

from __future__ import annotations

import math
from pathlib import Path

from genlab.report.cells import table
from genlab.report.claims import claim_rows
from genlab.report.collapse import collapse_item
from genlab.report.recommend import recommend
from genlab.report.schema import (
    Curves,
    ElboView,
    FidelityDiversity,
    Floor,
    Images,
    PerFamily,
    QualityVsSteps,
    QualityVsTime,
    ReportInputError,
)

SCHEMA = "genlab.report/1"
_ORDER = ("vae", "gan", "ddpm", "ldm")

_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}


def image_mime(data: bytes) -> str | None:
    """The MIME type of PNG / JPEG / GIF bytes, from their magic number; None for anything else."""
    return next((m for magic, m in _IMAGE_MAGIC.items() if data.startswith(magic)), None)


def check_images(images: Images) -> None:
    """Raise ReportInputError naming every image that is missing or not a PNG/JPEG/GIF file."""
    bad = []
    for fam, named in images.items():
        for name, path in named.items():
            p = Path(path)
            if not p.is_file():
                bad.append(f"{fam}/{name}: {p} does not exist")
            elif image_mime(p.read_bytes()[:8]) is None:
                bad.append(f"{fam}/{name}: {p} is not a PNG, JPEG or GIF file")
    if bad:
        raise ReportInputError("report images unusable: " + "; ".join(bad))


def _split_floor(per_family: dict) -> tuple[PerFamily, Floor]:
    per_family = dict(per_family)
    floor = per_family.pop("floor", None) or {}
    for fam, seeds in per_family.items():
        if not isinstance(seeds, list) or not all(isinstance(s, dict) for s in seeds):
            raise ReportInputError(f"per_family[{fam!r}] must be a list of per-seed metric dicts")
    if not isinstance(floor, dict):
        raise ReportInputError("per_family['floor'] must be a dict of real-vs-real metric values")
    return per_family, floor


def _ordered(families: list[str]) -> list[str]:
    known = [f for f in _ORDER if f in families]
    return known + [f for f in families if f not in known]


def build_results(per_family: PerFamily, *, curves: Curves | None = None,
                  quality_vs_time: QualityVsTime | None = None, quality_vs_steps: QualityVsSteps | None = None,
                  elbo_view: ElboView | None = None, fidelity_diversity: FidelityDiversity | None = None,
                  images: Images | None = None, protocol: dict | None = None,
                  meta: dict | None = None, floor: Floor | None = None, tolerance: float = 0.10) -> dict:
    """The results dict: per-family cells, claim rows with verdicts, recommendation, and the data behind figures.

    `per_family` may carry the real-vs-real floor under the key "floor" (or pass `floor`). Images are checked
    to exist now (ReportInputError lists every missing one) and are embedded only by `write_report`.
    """
    per_family, floor_in = _split_floor(per_family)
    floor = {**floor_in, **(floor or {})}
    images = {f: {n: str(Path(p).resolve()) for n, p in named.items()} for f, named in (images or {}).items()}
    check_images(images)
    families = _ordered(list(per_family))
    tab = table(per_family)
    tab = {f: tab[f] for f in families}
    rows, rec = claim_rows(tab, families), recommend(tab, quality_vs_steps, tolerance)
    collapse = collapse_item({f: per_family[f] for f in families})
    if collapse:  # said in words beside the numbers: in the mode-collapse row, and after fidelity in the recommendation
        for row in rows:
            if row["axis"] == "mode_collapse":
                row["diagnosis"] = collapse["text"]
        rec.insert(1 if rec and rec[0]["topic"] == "fidelity" else 0, collapse)
    return {
        "schema": SCHEMA,
        "meta": dict(meta or {}),
        "families": families,
        "floor": floor,
        "rows": rows,
        "recommendation": rec,
        "metrics": tab,
        "per_seed": {f: per_family[f] for f in families},
        "curves": dict(curves or {}),
        "quality_vs_time": dict(quality_vs_time or {}),
        "quality_vs_steps": dict(quality_vs_steps or {}),
        "elbo_view": dict(elbo_view or {}),
        "fidelity_diversity": dict(fidelity_diversity or {}),
        "images": images,
        "protocol": dict(protocol or {}),
    }


def json_safe(obj):
    """A copy with non-finite floats as strings ('nan', 'inf'), so the file is strict JSON."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj
