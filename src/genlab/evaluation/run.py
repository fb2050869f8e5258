"""`genlab evaluate RUN`: the metric suite on a trained run, written to RUN/metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from genlab.data import dataset_fingerprint, load_data_from_config
from genlab.data.dataset import Dataset
from genlab.device import resolve_device
from genlab.errors import DataError
from genlab.evaluation.generate import check_sample_options
from genlab.evaluation.suite import evaluate
from genlab.fileio import atomic_write_json
from genlab.runs import load_run
from genlab.train.diagnostics import collapsed
from genlab.train.distributed import join, leave
from genlab.train.logger import append_metrics


def load_run_data(cfg, info, data_dir: str | None = None) -> Dataset:
    """The dataset a run was trained on, checked against the run's recorded shape and levels."""
    if data_dir:
        cfg.data.data_dir = data_dir
    data = load_data_from_config(cfg.data)
    if tuple(data.info.shape) != tuple(info.shape) or data.info.levels != info.levels:
        raise DataError(f"dataset '{cfg.data.name}' now has shape {data.info.shape} and {data.info.levels} levels, "
                        f"but the run was trained on {info.shape} with {info.levels} levels")
    return data


def training_cost(record: dict) -> dict:
    """Training throughput from the checkpoint record (images seen over training seconds)."""
    seconds = record.get("elapsed_seconds", 0.0)
    return {"train_seconds": seconds, "train_images_per_s": record["images_seen"] / seconds if seconds else 0.0,
            "train_steps": record["step"], "train_images": record["images_seen"]}


def evaluate_run(run: str | Path, *, n_samples: int = 2000, seed: int = 0, device: str | torch.device = "auto",
                 data_dir: str | None = None, inception_weights: str | None = None, sample_options: dict | None = None,
                 progress: bool = True, batch_size: int = 500,
                 evaluator=None, data: Dataset | None = None, **suite_options) -> Path | None:
    """Evaluate a run folder with the full suite; returns the path of its metrics.json. Under torchrun the ranks
    share the sampling and the likelihood bound, rank 0 computes the metrics and writes the file (the others return
    None), and the ranks leave the group together."""
    group, dev = join(resolve_device(device))
    model, cfg, info, record = load_run(run, dev)
    data = data if data is not None else load_run_data(cfg, info, data_dir)
    opts = check_sample_options(model, sample_options or {})
    metrics = evaluate(model, data, n_samples=n_samples, seed=seed, batch_size=batch_size, device=dev,
                       evaluator=evaluator, sample_options=opts, fingerprint=dataset_fingerprint(data),
                       inception_weights=inception_weights, progress=progress, **suite_options)
    out = Path(run) / "metrics.json"
    if not group.is_main:
        leave(group)
        return None
    metrics["cost"].update(training_cost(record))
    metrics["cost"]["processes"] = float(group.world_size)  # samples_per_second is per process
    metrics["run"] = {"family": cfg.family, "data": cfg.data.name, "seed": cfg.train.seed, "path": str(run)}
    atomic_write_json(out, json.loads(json.dumps(metrics, default=float)))
    log_class_coverage(Path(run), record["step"], metrics.get("mode_collapse", {}))
    leave(group)
    return out


def log_class_coverage(run: Path, step: int, mc: dict) -> None:
    """Labelled images: the classes the samples cover go into the run's log (eval/*; eval/collapsed = 1 when
    fewer than half), as the trainer logs diag/* modes for 2-D mixtures: a collapse is in the log, not hidden."""
    if not isinstance(mc.get("classes_covered"), int | float) or not mc.get("num_classes"):
        return
    append_metrics(run, step, {"eval/classes_covered": mc["classes_covered"], "eval/num_classes": mc["num_classes"],
                               "eval/collapsed": float(collapsed(mc["classes_covered"], mc["num_classes"]))})
