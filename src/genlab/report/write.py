"""Write results.json, report.html (self-contained) and report.md (+ report_files/) into one folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from genlab.report.figures import all_figures
from genlab.report.html import data_uri, render_html
from genlab.report.markdown import render_markdown
from genlab.report.results import check_images, image_mime, json_safe


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "image"


def write_report(out_dir: str | Path, results: dict) -> dict[str, Path]:
    """Write the three reports from `results` (see build_results); returns their paths and report_files/.

    Reads only `results` and the image files it names; raises ReportInputError if any image is missing.
    """
    out = Path(out_dir)
    files = out / "report_files"
    files.mkdir(parents=True, exist_ok=True)
    images = results.get("images", {})
    check_images(images)
    figures = all_figures(results)

    image_uris, image_files = {}, {}
    for fam, named in images.items():
        for name, path in named.items():
            data = Path(path).read_bytes()
            mime = image_mime(data)
            image_uris[(fam, name)] = data_uri(data, mime)
            ext = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}[mime]
            target = files / f"{_slug(fam)}__{_slug(name)}{ext}"
            shutil.copyfile(path, target)
            image_files[(fam, name)] = f"report_files/{target.name}"
    figure_files = {}
    for name, (caption, png) in figures.items():
        (files / f"figure__{name}.png").write_bytes(png)
        figure_files[name] = (caption, f"report_files/figure__{name}.png")

    paths = {"results": out / "results.json", "html": out / "report.html", "markdown": out / "report.md",
             "files": files}
    paths["results"].write_text(json.dumps(json_safe(results), indent=1, allow_nan=False) + "\n")
    paths["html"].write_text(render_html(results, figures, image_uris), encoding="utf-8")
    paths["markdown"].write_text(render_markdown(results, figure_files, image_files), encoding="utf-8")
    return paths
