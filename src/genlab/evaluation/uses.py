"""What each family is used for, measured (issue 17): anomaly detection, compression, representations and the
bottleneck of one trained model, as one dict for metrics.json's 'uses'."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genlab.data.dataset import Dataset
from genlab.device import resolve_device
from genlab.evaluation.anomaly import anomaly_detection
from genlab.evaluation.bottleneck import bottleneck_row, compression_point
from genlab.evaluation.ood import ood_sets
from genlab.evaluation.representations import probe_representations
from genlab.evaluation.run import load_run_data
from genlab.fileio import atomic_write_json
from genlab.metrics.records import unavailable
from genlab.runs import load_run


def lossless(anomaly: dict, dim: int) -> dict:
    """The likelihood bound on the test split as a lossless code length (bits/dim and bits per image)."""
    nll = anomaly.get("scores", {}).get("nll", {})
    if "in_mean" not in nll:
        return unavailable(nll.get("reason", "this family defines no likelihood"))
    return {"bits_per_dim": nll["in_mean"], "bits_per_dim_se": nll.get("in_se", 0.0),
            "bits_per_image": nll["in_mean"] * dim}


def measure_uses(model, data: Dataset, n: int = 500, ood: str | None = None, data_dir: str | None = None,
                 device: torch.device | str = "cpu", seed: int = 0, t_subset: int | None = 50,
                 steps: int = 20, batch: int = 250, n_probe_train: int = 2000) -> dict:
    """The four measurements on up to n test images (and n training images for the typical likelihood, up to
    n_probe_train for the probes' fit)."""
    device = torch.device(device)
    was_training = model.training
    model.eval()
    try:
        x_in = data.test[:n]
        notes: list[str] = []
        sets = ood_sets(data, n, ood, data_dir, seed, notes)
        anomaly = anomaly_detection(model, x_in, data.train[:n], sets, device, batch, seed, t_subset)
        anomaly["notes"] = notes
        image = data.kind == "image"
        return {
            "n": len(x_in), "data_dim": int(x_in[0].numel()), "family": model.family,
            "anomaly": anomaly,
            "compression": {"point": compression_point(model, x_in, device, batch),
                            "lossless": lossless(anomaly, int(x_in[0].numel()))},
            "representations": probe_representations(model, data, n_probe_train, n, device, batch, steps),
            "bottleneck": bottleneck_row(model, x_in, device, batch, steps) if image
            else unavailable("2-D points: no bottleneck to measure"),
        }
    finally:
        model.train(was_training)


def evaluate_uses(run, *, n: int = 500, ood: str | None = None, data_dir: str | None = None,
                  device: torch.device | str = "auto", data: Dataset | None = None, out_name: str = "metrics.json",
                  **options) -> Path:
    """Measure the uses of a run folder's (EMA) model and write them under 'uses' of RUN/metrics.json (kept
    otherwise as it is; created holding only 'run' and 'uses' when the run was never evaluated)."""
    dev = resolve_device(device)
    model, cfg, info, _ = load_run(run, dev)
    data = data if data is not None else load_run_data(cfg, info, data_dir)
    uses = measure_uses(model, data, n=n, ood=ood, data_dir=data_dir, device=dev, **options)
    out = Path(run) / out_name
    metrics = json.loads(out.read_text()) if out.is_file() and out_name == "metrics.json" else {}
    metrics.setdefault("run", {"family": cfg.family, "data": cfg.data.name, "seed": cfg.train.seed,
                               "path": str(run)})
    metrics["uses"] = uses
    atomic_write_json(out, json.loads(json.dumps(metrics, default=float)))
    return out
