"""report.html: one self-contained file (inline CSS, images as data: URIs, no external resource at all)."""

from __future__ import annotations

import base64
from html import escape

from genlab.report.catalogue import direction_symbol, fmt, hidden, metric
from genlab.report.cells import cell_text
from genlab.report.layout import FIGURE_TITLES, INTERVAL_NOTE, ORDER, flatten, grouped_images, meta_line
from genlab.report.uses import uses_html

# The Content-Security-Policy forbids every network fetch: only inline styles, inline script and data: images.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0 auto;
max-width:1440px;padding:24px 32px;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;margin-bottom:16px}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:13px}
th,td{border:1px solid #ddd;padding:5px 7px;vertical-align:top;text-align:left}
th{background:#f4f5f7}td.num{font-variant-numeric:tabular-nums}.v{white-space:nowrap}
.na{color:#888;font-size:12px}.claim{color:#444;font-style:italic;min-width:200px}
ul.because{color:#444;font-size:12px;margin:4px 0 0;padding-left:0;list-style:none;min-width:280px}
.ok{color:#17723b}.no{color:#b3261e}.nt{color:#777}
.verdict{font-weight:600;white-space:nowrap}.agrees{color:#17723b}.disagrees{color:#b3261e}
.partly{color:#9a6700}.not-testable{color:#777}.tie{color:#555}.inconclusive{color:#6a4c93}
.wide{overflow-x:auto}.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:12px;color:#555}
img{image-rendering:pixelated;max-width:100%;border:1px solid #eee}
.grid img{min-width:128px}.fig img{image-rendering:auto}ul.rec li{margin:3px 0}small{color:#666}
"""

# Sets data attributes on <body> once everything is loaded: how many <img> there are, how many failed to decode.
_CHECK = """
window.addEventListener("load", function () {
  var imgs = document.images, broken = 0;
  for (var i = 0; i < imgs.length; i++) { if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++; }
  document.body.setAttribute("data-images", String(imgs.length));
  document.body.setAttribute("data-broken-images", String(broken));
});
"""


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """bytes -> 'data:<mime>;base64,...'."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _cell_html(cell: dict, key: str, with_unit: bool = True) -> str:
    text = escape(cell_text(cell, key, with_unit))
    return f'<span class="v">{text}</span>' if cell.get("available") else f'<span class="na">{text}</span>'


def _comparisons(row: dict) -> str:
    """One line per predicate: a mark (holds, fails, not testable), the comparison, and the claim it tests."""
    items = []
    for c in row["comparisons"]:
        cls, mark = {True: ("ok", "✓"), False: ("no", "✗"), None: ("nt", "–")}[c["holds"]]
        items.append(f"<li><span class='{cls}'>{mark}</span> {escape(c['evidence'])} "
                     f"<small>({escape(c['claim'])})</small></li>")
    return "<ul class='because'>" + "".join(items) + "</ul>"


def _metric_head(key: str) -> str:
    m = metric(key)
    unit = f" [{m.unit}]" if m.unit else ""
    return f"{escape(m.label)}{escape(unit)} {direction_symbol(key)}".strip()


def claims_table(results: dict) -> str:
    """The measured comparison table: axis, metrics, one column per family, the claim, the verdict."""
    fams = results["families"]
    head = "".join(f"<th>{escape(f)}</th>" for f in fams)
    out = ["<div class='wide'><table class='claims'><thead><tr><th>axis</th><th>metric (unit, ↓/↑ better)</th>", head,
           "<th>the articles claim</th><th>verdict on this data</th></tr></thead><tbody>"]
    for row in results["rows"]:
        keys = [m["key"] for m in row["metrics"]]
        metrics = "<br>".join(_metric_head(k) for k in keys)
        cells = "".join("<td class='num'>" + "<br>".join(_cell_html(row["cells"][f][k], k, False) for k in keys)
                        + "</td>" for f in fams)
        v = row["verdict"]
        out.append(f"<tr><th>{escape(row['title'])}</th><td>{metrics}</td>{cells}"
                   f"<td class='claim'>{escape(row['claim'])}</td>"
                   f"<td><span class='verdict {v.replace(' ', '-')}'>{escape(v)}</span>"
                   + (f"<p class='diag'><b>{escape(row['diagnosis'])}</b></p>" if row.get("diagnosis") else "")
                   + f"{_comparisons(row)}</td></tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def metrics_table(results: dict) -> str:
    """Every metric of every family (mean ± 95% interval), with the real-vs-real floor where known."""
    fams, tab, floor = results["families"], results["metrics"], results.get("floor", {})
    keys = sorted({k for f in fams for k in tab[f] if not hidden(k)})
    head = "".join(f"<th>{escape(f)}</th>" for f in fams)
    out = [f"<table class='metrics'><thead><tr><th>metric</th>{head}<th>real vs real floor</th></tr></thead><tbody>"]
    for k in keys:
        cells = "".join(f"<td class='num'>{_cell_html(tab[f][k], k)}</td>" for f in fams)
        fl = floor.get(k)
        fl_text = escape(fmt(fl)) if isinstance(fl, int | float) else ""
        out.append(f"<tr><th>{_metric_head(k)} <small>({escape(k)})</small></th>{cells}"
                   f"<td class='num'>{fl_text}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _figure(src: str, caption: str, cls: str = "") -> str:
    return (f"<figure class='{cls}'><img src='{src}' alt='{escape(caption, quote=True)}'>"
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def render_html(results: dict, figures: dict[str, tuple[str, bytes]], image_data: dict[tuple[str, str], str]) -> str:
    """The whole page. `figures`: name -> (caption, PNG bytes); `image_data`: (family, name) -> data URI."""
    meta = results.get("meta", {})
    title = f"genlab comparison: {meta.get('data', 'unnamed data')}"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>{escape(title)}</title><style>{_CSS}</style><script>{_CHECK}</script></head><body>",
             f"<h1>{escape(title)}</h1><div class='meta'>{escape(meta_line(meta))}</div>",
             "<h2>Measured against the claims</h2>", claims_table(results),
             f"<p><small>{escape(INTERVAL_NOTE)}</small></p>",
             "<h2>Recommendation</h2><ul class='rec'>",
             "".join(f"<li>{escape(r['text'])}</li>" for r in results.get("recommendation", [])) or
             "<li>No metric to base a recommendation on.</li>", "</ul>",
             "<h2>All metrics</h2>", metrics_table(results)]
    groups = grouped_images(results.get("images", {}), results["families"])
    for kind, key in ORDER:
        if kind == "figure" and key in figures:
            caption, png = figures[key]
            parts.append(f"<h2>{escape(FIGURE_TITLES[key])}</h2>" + _figure(data_uri(png), caption, "fig"))
        elif kind == "images" and key in groups:
            heading, items = groups[key]
            parts.append(f"<h2>{escape(heading)}</h2><div class='grid'>")
            parts += [_figure(image_data[(f, n)], f"{f}: {n}") for f, n, _ in items]
            parts.append("</div>")
    parts.append(uses_html(results.get("uses"), figures.get("rate_distortion")))
    rows = flatten(results.get("protocol", {}))
    parts.append("<h2>Protocol manifest</h2>")
    parts.append("<table class='protocol'><tbody>" + "".join(
        f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows) + "</tbody></table>"
        if rows else "<p>No protocol manifest was recorded.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
