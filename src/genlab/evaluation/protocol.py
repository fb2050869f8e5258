"""The protocol manifest: what a metrics file was measured with, and when two files may share a table."""

from __future__ import annotations

import platform

import numpy as np
import torch

import genlab
from genlab.errors import GenlabError

# The fields that must be equal for two metric files to be compared (sampler and steps may differ: they are
# what a comparison is usually about, and are shown next to the numbers).
KEY_FIELDS = ("dataset", "fingerprint", "feature_extractor", "feature_sha256", "n_samples", "reference_split",
              "n_reference", "kid_subset_size", "kid_subsets", "prdc_k", "memorization_quantile",
              "quantized_to_levels", "spaces")


def build_manifest(*, dataset: str, fingerprint: str | None, feature_extractor: str, feature_sha256: str,
                   n_samples: int, reference_split: str, n_reference: int, seed: int, batch_size: int,
                   sample_options: dict, nfe: int | None, kid_subset_size: int, kid_subsets: int,
                   prdc_k: tuple[int, int], memorization_quantile: float, n_likelihood: int = 0,
                   quantized_to_levels: bool = False, spaces: dict | None = None) -> dict:
    """The manifest stored under 'protocol' in metrics.json."""
    return {
        "dataset": dataset, "fingerprint": fingerprint, "feature_extractor": feature_extractor,
        "feature_sha256": feature_sha256, "n_samples": int(n_samples), "reference_split": reference_split,
        "n_reference": int(n_reference), "seed": int(seed), "batch_size": int(batch_size),
        "sampler": {k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
                    for k, v in sample_options.items()},
        "nfe": nfe, "kid_subset_size": int(kid_subset_size), "kid_subsets": int(kid_subsets),
        "prdc_k": list(prdc_k), "memorization_quantile": float(memorization_quantile),
        "n_likelihood": int(n_likelihood), "quantized_to_levels": bool(quantized_to_levels),
        "spaces": dict(spaces or {}),
        "versions": {"genlab": genlab.__version__, "torch": torch.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
    }


def protocol_key(manifest: dict) -> dict:
    """The sub-dict of fields that must match for two metric files to share a table."""
    return {k: manifest.get(k) for k in KEY_FIELDS}


def check_compatible(manifests: list[dict]) -> None:
    """Raise GenlabError naming the first field in which any manifest differs from the first one."""
    if not manifests:
        return
    ref = protocol_key(manifests[0])
    for i, m in enumerate(manifests[1:], start=1):
        key = protocol_key(m)
        for field in KEY_FIELDS:
            if key[field] != ref[field]:
                raise GenlabError(f"metrics are not comparable: protocol field '{field}' differs "
                                  f"({ref[field]!r} in file 1 vs {key[field]!r} in file {i + 1})")
