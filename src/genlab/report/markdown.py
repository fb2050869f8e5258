"""report.md: the same tables and sections as the HTML, images as relative links into report_files/."""

from __future__ import annotations

from genlab.report.catalogue import direction_symbol, fmt, hidden, metric
from genlab.report.cells import cell_text
from genlab.report.layout import FIGURE_TITLES, INTERVAL_NOTE, ORDER, flatten, grouped_images, meta_line
from genlab.report.uses import uses_markdown


def _md(text: str) -> str:
    """Table-safe text: no pipes or newlines breaking the row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _head(key: str) -> str:
    m = metric(key)
    return f"{m.label}{f' [{m.unit}]' if m.unit else ''} {direction_symbol(key)}".strip()


def _link(text: str) -> str:
    return text.replace("]", "\\]")


def render_markdown(results: dict, figure_files: dict[str, tuple[str, str]],
                    image_files: dict[tuple[str, str], str]) -> str:
    """The Markdown page. `figure_files`: name -> (caption, relative path); `image_files`: (family, name) -> path."""
    meta, fams = results.get("meta", {}), results["families"]
    out = [f"# genlab comparison: {meta.get('data', 'unnamed data')}", "", meta_line(meta), "",
           "## Measured against the claims", "",
           "| axis | metric (unit, ↓/↑ better) | " + " | ".join(fams) + " | the articles claim | verdict |",
           "|" + "---|" * (len(fams) + 4)]
    for row in results["rows"]:
        keys = [m["key"] for m in row["metrics"]]
        cells = [" <br> ".join(_md(cell_text(row["cells"][f][k], k, False)) for k in keys) for f in fams]
        out.append(f"| {_md(row['title'])} | {' <br> '.join(_md(_head(k)) for k in keys)} | " + " | ".join(cells)
                   + f" | {_md(row['claim'])} | **{row['verdict']}**: "
                   + (f"**{_md(row['diagnosis'])}** " if row.get("diagnosis") else "") + f"{_md(row['because'])} |")
    out += ["", INTERVAL_NOTE, "", "## Recommendation", ""]
    out += [f"- {r['text']}" for r in results.get("recommendation", [])] or ["- No metric to base it on."]
    tab, floor = results["metrics"], results.get("floor", {})
    out += ["", "## All metrics", "", "| metric | " + " | ".join(fams) + " | real vs real floor |",
            "|" + "---|" * (len(fams) + 2)]
    for k in sorted({k for f in fams for k in tab[f] if not hidden(k)}):
        fl = floor.get(k)
        out.append(f"| {_md(_head(k))} ({k}) | " + " | ".join(_md(cell_text(tab[f][k], k)) for f in fams)
                   + f" | {fmt(fl) if isinstance(fl, int | float) else ''} |")
    groups = grouped_images(results.get("images", {}), fams)
    for kind, key in ORDER:
        if kind == "figure" and key in figure_files:
            caption, path = figure_files[key]
            out += ["", f"## {FIGURE_TITLES[key]}", "", f"![{_link(caption)}]({path})", "", f"*{caption}*"]
        elif kind == "images" and key in groups:
            heading, items = groups[key]
            out += ["", f"## {heading}", ""]
            out += [f"**{f}: {n}**\n\n![{_link(f'{f}: {n}')}]({image_files[(f, n)]})\n" for f, n, _ in items]
    out += uses_markdown(results.get("uses"), figure_files.get("rate_distortion", (None, None))[1])
    rows = flatten(results.get("protocol", {}))
    out += ["", "## Protocol manifest", ""]
    out += (["| key | value |", "|---|---|"] + [f"| {_md(k)} | {_md(v)} |" for k, v in rows]
            if rows else ["No protocol manifest was recorded."])
    return "\n".join(out) + "\n"
