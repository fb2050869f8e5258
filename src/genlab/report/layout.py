"""What goes where in the report, shared by the HTML and Markdown writers."""

from __future__ import annotations

import json

# (section title, predicate on the image name); an image goes to the first section that takes it
IMAGE_SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("samples", "Samples", ("sample",)),
    ("interpolation", "Interpolation strips", ("interp",)),
    ("reconstructions", "Reconstructions (top: data, bottom: reconstruction)", ("recon",)),
    ("editing", "Inpainting and image-to-image", ("inpaint", "img2img", "edit")),
    ("scatter", "2-D samples (scatter, true modes as red rings)", ("scatter",)),
)
OTHER = ("other", "Other images", ())

# the order of the report's sections after the tables: ("images", section key) or ("figure", figure name)
ORDER: tuple[tuple[str, str], ...] = (
    ("images", "samples"), ("figure", "loss_curves"), ("figure", "quality_vs_time"),
    ("figure", "quality_vs_steps"), ("figure", "fidelity_diversity"), ("images", "interpolation"),
    ("images", "reconstructions"), ("images", "editing"), ("images", "scatter"), ("images", "other"),
    ("figure", "elbo_view"),
)
FIGURE_TITLES = {"loss_curves": "Loss curves", "quality_vs_time": "Quality against training time",
                 "quality_vs_steps": "Quality against sampling steps", "elbo_view": "The ELBO view",
                 "fidelity_diversity": "Fidelity against diversity (conditional models)"}


def image_section(name: str) -> str:
    """The section key an image named `name` belongs to."""
    low = name.lower()
    return next((key for key, _, words in IMAGE_SECTIONS if any(w in low for w in words)), OTHER[0])


def grouped_images(images: dict[str, dict[str, str]], families: list[str]) -> dict[str, tuple[str, list]]:
    """section key -> (title, [(family, name, path), ...]) for the non-empty sections."""
    out = {}
    fams = [f for f in families if f in images] + [f for f in images if f not in families]
    for key, title, _ in (*IMAGE_SECTIONS, OTHER):
        items = [(f, n, p) for f in fams for n, p in images[f].items() if image_section(n) == key]
        if items:
            out[key] = (title, items)
    return out


def flatten(d: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested protocol dict -> [("a.b", "value"), ...]; lists and other leaves as compact JSON."""
    rows = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v:
            rows += flatten(v, key)
        else:
            rows.append((key, v if isinstance(v, str) else json.dumps(v, default=str)))
    return rows


def meta_line(meta: dict) -> str:
    """'data: digits · budget: 10 min · seeds: 0, 1, 2 · ...' from the meta dict."""
    parts = []
    for k, v in meta.items():
        value = ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
        parts.append(f"{k}: {value}")
    return " · ".join(parts)


INTERVAL_NOTE = (
    '± is the half-width of the 95% interval (1.96 standard errors: bootstrap over samples for FD, binomi'
    "al for shares, the bound's own error for bits/dim, over seeds when there are several); (std) marks a"
    ' spread over seeds without a standard error. A family wins a comparison only when its interval is se'
    "parated from the other's in every calibrated feature space: overlapping intervals are a tie, spaces "
    'that disagree are inconclusive. ↓ lower is better, ↑ higher is better.'
)
