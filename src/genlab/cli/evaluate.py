"""`genlab evaluate RUN`: the metric suite, written to RUN/metrics.json."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from genlab.cli.options import add_sampling_args, sampling_options_from_args
from genlab.errors import ConfigError


def add_parser(sub) -> None:
    e = sub.add_parser("evaluate", help="evaluate a run; writes metrics.json in the run folder")
    e.add_argument("run")
    e.add_argument("--n", "--samples", dest="n", type=int, default=2000,
                   help="samples to draw (default 2000; under torchrun write --samples: torchrun takes --n as its own)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--device", default="auto")
    e.add_argument("--data-dir")
    e.add_argument("--inception-weights", help="local Inception-v3 weights for FID/KID via torch-fidelity")
    e.add_argument("--dinov2", metavar="DIR", help="a local DINOv2 model folder (transformers) for FD-DINOv2")
    add_sampling_args(e)
    u = e.add_argument_group("uses (anomaly detection, compression, representations, the bottleneck)")
    u.add_argument("--uses", action="store_true", help="also measure what the family is used for; written under "
                   "'uses' of metrics.json")
    u.add_argument("--uses-only", action="store_true", help="measure only the uses and add them to the run's "
                   "metrics.json (the rest of it is kept)")
    u.add_argument("--ood", metavar="NAME|PATH", help="out-of-distribution dataset for anomaly detection (default: "
                   "the test split flipped, inverted and pixel-shuffled; Fashion-MNIST too for MNIST when on disk)")
    u.add_argument("--uses-n", type=int, default=500, help="test images per measurement of the uses (default 500)")
    e.set_defaults(func=cmd_evaluate)


def cmd_evaluate(a: argparse.Namespace) -> int:
    from genlab.evaluation.run import evaluate_run

    if a.uses_n < 2:
        raise ConfigError("--uses-n must be at least 2")
    if a.uses_only:
        print(f"uses -> {_uses(a)}")
        return 0
    out = evaluate_run(a.run, n_samples=a.n, seed=a.seed, device=a.device, data_dir=a.data_dir,
                       inception_weights=a.inception_weights, sample_options=sampling_options_from_args(a),
                       dinov2=a.dinov2)
    if out is None:  # a rank other than 0 under torchrun: rank 0 wrote the file
        return 0
    if a.uses:
        _uses(a)
    print(f"metrics -> {out}")
    note = coverage_line(json.loads(Path(out).read_text()).get("mode_collapse", {}))
    if note:
        print(note)
    return 0


def _uses(a: argparse.Namespace) -> Path:
    from genlab.evaluation.uses import evaluate_uses

    return evaluate_uses(a.run, n=a.uses_n, ood=a.ood, data_dir=a.data_dir, device=a.device, seed=a.seed)


def coverage_line(mc: dict) -> str | None:
    """'8 of 8 modes covered', or the same said as collapse when fewer than half the modes or classes are covered."""
    from genlab.train.diagnostics import collapsed

    for what, key, total in (("modes", "modes_covered", "modes_total"), ("classes", "classes_covered", "num_classes")):
        if isinstance(mc.get(key), int | float) and mc.get(total):
            text = f"{mc[key]:.0f} of {mc[total]:.0f} {what} covered"
            return f"MODE COLLAPSE: {text}: fewer than half the {what}" if collapsed(mc[key], mc[total]) else text
    return None
