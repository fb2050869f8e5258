"""`genlab score SAMPLES --data NAME`: any library's samples under the protocol `genlab evaluate` uses."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub) -> None:
    s = sub.add_parser("score", help="score a samples file or folder against a dataset",
                       description="Score samples from any library (.npz/.npy array in the data's shape, or a "
                       "folder of PNGs) in every feature space genlab evaluates in, with standard errors, the "
                       "real-vs-real floor and each space's calibration. Prints the headline numbers and writes "
                       "the full metrics JSON.")
    s.add_argument("samples", help="FILE.npz / FILE.npy (uint8 images, floats in [-1, 1], or 2-D points) or a "
                   "folder of PNG/JPEG images")
    s.add_argument("--data", required=True, help="the dataset the samples imitate (as for genlab train)")
    s.add_argument("--data-dir", help="folder holding dataset files (default: $GENLAB_DATA)")
    s.add_argument("--out", help="metrics JSON to write (default: print only)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto")
    s.add_argument("--dinov2", metavar="DIR", help="a local DINOv2 model folder (transformers) for FD-DINOv2")
    s.set_defaults(func=cmd_score)


def headline(metrics: dict) -> list[str]:
    """One line per feature space: FD ± 95% interval against its floor, precision, recall, calibration."""
    lines = []
    for role, sp in metrics["spaces"].items():
        f, fl = sp["fidelity"], sp["floor"]
        cal = "calibrated" if sp["calibration"]["passed"] else "FAILED calibration (not used for verdicts)"
        lines.append(f"{role:>8} ({sp['name']}): FD {f['fd']:.4g} ± {1.96 * f['fd_se']:.2g} (floor "
                     f"{fl['fd']:.4g} ± {1.96 * fl['fd_se']:.2g}), precision {f['precision']:.3f}, "
                     f"recall {f['recall']:.3f}, coverage {f['coverage']:.3f}; {cal}")
    for role, reason in metrics.get("spaces_unavailable", {}).items():
        lines.append(f"{role:>8}: unavailable ({reason})")
    return lines


def cmd_score(a: argparse.Namespace) -> int:
    from genlab.data import load_dataset
    from genlab.device import resolve_device
    from genlab.errors import ConfigError
    from genlab.evaluation.score import read_samples, score
    from genlab.fileio import atomic_write_json

    out = Path(a.out) if a.out else None
    if out is not None and (out.is_dir() or not out.parent.exists() and out.parent != Path("")):
        raise ConfigError(f"--out {out}: needs a file path in an existing folder")
    dataset = load_dataset(a.data, data_dir=a.data_dir)
    samples = read_samples(a.samples, dataset)
    metrics = score(samples, dataset, device=resolve_device(a.device), seed=a.seed, dinov2=a.dinov2,
                    progress=True)
    metrics["samples"] = {"path": str(a.samples), "n": len(samples)}
    print(f"{len(samples)} samples of {dataset.name} ({a.samples}); ± is the 95% interval")
    print("\n".join(headline(metrics)))
    if out is not None:
        atomic_write_json(out, json.loads(json.dumps(metrics, default=float)))
        print(f"metrics -> {out}")
    return 0
