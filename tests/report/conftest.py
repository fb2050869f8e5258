"""Fixtures of the report tests: synthetic images in tmp_path and the full input set around them."""

from __future__ import annotations

import pytest
from report_inputs import make_inputs, write_png


@pytest.fixture
def images(tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    names = {"vae": ["samples", "interpolation", "reconstructions"], "gan": ["samples", "interpolation"],
             "ddpm": ["samples", "inpaint", "img2img"], "ldm": ["samples", "reconstructions", "scatter"]}
    return {f: {n: write_png(d / f"{f}_{n}.png", i * 10 + j) for j, n in enumerate(ns)}
            for i, (f, ns) in enumerate(names.items())}


@pytest.fixture
def inputs(images):
    return make_inputs(images)
