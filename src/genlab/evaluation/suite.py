"""The evaluation suite: every metric of one model on one dataset, under one recorded protocol.

All values are plain floats or {"available": false, "reason": ...} records. Reference split: test. A conditional
run is sampled for the even split of its classes (sample k of class k mod K) and adds 'conditional' (does it draw
the class asked for); its likelihood is the bound on -log p(x|y) given the test labels, and says so.
Sample k is the same every time for a given seed, whatever the batch size (per-image seeds, see
evaluation.generate). Image samples are clamped to [-1, 1] and rounded to the data's levels (as saving them
to disk would) before any feature is computed.
"""

from __future__ import annotations

import math

import torch

from genlab.data import dataset_fingerprint
from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable
from genlab.evaluation.conditional import conditional_metrics
from genlab.evaluation.evaluator import Evaluator, IdentityEvaluator
from genlab.evaluation.generate import as_data, batch_generator, generate
from genlab.evaluation.inception import inception_metrics
from genlab.evaluation.protocol import build_manifest
from genlab.evaluation.sample_metrics import DC_K, PR_K, sample_sections, splits
from genlab.evaluation.spaces import feature_spaces
from genlab.evaluation.speed import CPU_PEAK_MEMORY_REASON, parameter_count, peak_memory_bytes, reset_peak_memory
from genlab.metrics.interpolation import interpolation_smoothness
from genlab.metrics.records import unavailable
from genlab.train.distributed import current, shard_map


def _labels(model, y: torch.Tensor | None, device: torch.device) -> dict:
    """{'labels': y on device} for a conditional model (the labels of the examples it is shown), else {}."""
    return {"labels": y.to(device)} if model.conditional and y is not None else {}


def _likelihood(model, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, device: torch.device,
                seed: int) -> dict:
    try:
        with torch.no_grad():
            # bits/dim per example, batch b (its own generator) on rank b mod world under torchrun
            vals = shard_map(lambda b: model.log_likelihood(
                x[b * batch_size:(b + 1) * batch_size].to(device), generator=batch_generator(device, seed, b),
                **_labels(model, None if y is None else y[b * batch_size:(b + 1) * batch_size], device))
                .double().cpu(), math.ceil(len(x) / batch_size), current())
    except NotAvailable as e:
        return unavailable(str(e))
    v = torch.cat(vals)
    return {"bits_per_dim": float(v.mean()), "bits_per_dim_sem": float(v.std() / math.sqrt(len(v))),
            "n": float(len(v)), "bound_on": "-log p(x|y)" if _labels(model, y, device) else "-log p(x)"}


def _latent(model, evaluator, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, device: torch.device,
            n_strips: int, steps: int) -> dict:
    try:
        model.encode(x[:1].to(device), **_labels(model, None if y is None else y[:1], device))
    except NotAvailable as e:
        return {"reconstruction": unavailable(str(e)), "interpolation": unavailable(str(e))}
    with torch.no_grad():
        rec = torch.cat([model.reconstruct(x[i:i + batch_size].to(device),
                                           **_labels(model, None if y is None else y[i:i + batch_size], device))
                         .float().cpu() for i in range(0, len(x), batch_size)])
    mse = float((rec - x.float()).pow(2).mean())
    # PSNR with peak-to-peak 2 for data in [-1, 1]: 10 log10(2^2 / MSE)
    out: dict = {"reconstruction": {"mse": mse, "psnr": 10 * math.log10(4.0 / max(mse, 1e-20))}}
    n_strips = min(n_strips, len(x) // 2)
    try:
        with torch.no_grad():
            # one example each ([*shape]), as in GenerativeModel.interpolate; frames [S, T, *shape]
            ends = [None if not model.conditional or y is None else (int(y[2 * s]), int(y[2 * s + 1]))
                    for s in range(n_strips)]
            frames = torch.stack([model.interpolate(x[2 * s].to(device), x[2 * s + 1].to(device), steps=steps,
                                                    **({} if ends[s] is None else {"labels": ends[s]})).float().cpu()
                                  for s in range(n_strips)])
    except NotAvailable as e:
        out["interpolation"] = unavailable(str(e))
        return out
    if evaluator is None:
        out["interpolation"] = unavailable("no feature space for these images (no evaluator)")
        return out
    feats = evaluator.features(frames.reshape(-1, *x.shape[1:])).reshape(n_strips, steps, -1)
    out["interpolation"] = interpolation_smoothness(feats)
    return out


def evaluate(model, dataset: Dataset, *, n_samples: int, seed: int, batch_size: int,
             device: str | torch.device, evaluator: Evaluator | IdentityEvaluator | None = None,
             sample_options: dict | None = None, fingerprint: str | None = None,
             inception_weights: str | None = None, dinov2: str | None = None, kid_subset_size: int = 1000,
             kid_subsets: int = 100,
             memorization_quantile: float = 0.05, n_likelihood: int = 1000, n_latent: int = 256,
             interpolation_strips: int = 8, interpolation_steps: int = 8, progress: bool = False) -> dict:
    """Every metric of `model` on `dataset` in every feature space, with the protocol manifest.

    `fingerprint` keys the cached evaluator (default: genlab.data.dataset_fingerprint(dataset)).
    """
    device = torch.device(device)
    sample_options = dict(sample_options or {})
    if fingerprint is None:
        fingerprint = dataset_fingerprint(dataset)
    # Under torchrun the ranks share the sampling and the likelihood bound (by per-image seed and per-batch
    # generator: one process's numbers); rank 0 alone computes features and metrics, and the others return {}.
    info = current()
    if info.is_main:
        spaces, missing = feature_spaces(dataset, fingerprint, device, progress, evaluator, dinov2)
    model.eval()
    reset_peak_memory(device)
    timing: dict = {}
    samples = generate(model, n_samples, seed, batch_size, timing=timing, **sample_options)
    throughput = timing["samples_per_second"]
    peak_bytes = peak_memory_bytes(device)
    test, y = dataset.test, dataset.test_labels
    n_lik = min(n_likelihood, len(test))
    likelihood = _likelihood(model, test[:n_lik], None if y is None else y[:n_lik], batch_size, device, seed)
    if not info.is_main:
        return {}
    peak = float(peak_bytes) if peak_bytes is not None else unavailable(CPU_PEAK_MEMORY_REASON)
    samples = as_data(samples, dataset)
    try:
        nfe: float | dict = float(model.nfe(**sample_options))
    except NotAvailable as e:
        nfe = unavailable(str(e))
    result = sample_sections(samples, dataset, spaces, fingerprint, seed, kid_subset_size, kid_subsets,
                             memorization_quantile)
    result["spaces_unavailable"] = missing
    first = spaces[0]
    acc = first.test_accuracy
    ev_record = {"name": first.name, "sha256": first.sha256,
                 "test_accuracy": (unavailable(f"{first.name} is not a classifier") if acc is None else float(acc))}
    classifier = next((sp for sp in spaces if isinstance(sp, Evaluator)), None)
    result.update({
        "likelihood": likelihood,
        "latent": _latent(model, classifier or first, test[:n_latent], None if y is None else y[:n_latent],
                          batch_size, device, interpolation_strips, interpolation_steps),
        "conditional": conditional_metrics(model, dataset, classifier, samples),
        "inception": inception_metrics(samples, splits(dataset)[1], inception_weights, device, kid_subset_size,
                                       kid_subsets, seed),
        "cost": {"parameters": float(parameter_count(model)), "samples_per_second": float(throughput),
                 "nfe": nfe, "peak_memory_bytes": peak},
        "evaluator": ev_record,
    })
    result["protocol"] = build_manifest(
        dataset=dataset.name, fingerprint=fingerprint, feature_extractor=ev_record["name"],
        feature_sha256=ev_record["sha256"], n_samples=n_samples, reference_split=splits(dataset)[0],
        n_reference=len(splits(dataset)[1]), spaces={k: {"name": v["name"], "sha256": v["sha256"],
                                                          "calibrated": v["calibration"]["passed"]}
                                                      for k, v in result["spaces"].items()},
        seed=seed, batch_size=batch_size, sample_options=sample_options,
        nfe=None if isinstance(nfe, dict) else int(nfe), kid_subset_size=kid_subset_size,
        kid_subsets=kid_subsets, prdc_k=(PR_K, DC_K), memorization_quantile=memorization_quantile,
        n_likelihood=n_lik, quantized_to_levels=dataset.kind == "image" and dataset.levels is not None)
    return result
