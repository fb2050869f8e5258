"""Reading a compare's run folders into the report's inputs (the report reads files only)."""

from __future__ import annotations

import json
from pathlib import Path

from genlab.evaluation.protocol import check_compatible
from genlab.train.logger import read_metrics


def flatten_metrics(m: dict) -> dict:
    """metrics.json -> the flat per-family record the report's table reads."""
    fid, mc, cost, lat = m.get("fidelity", {}), m.get("mode_collapse", {}), m.get("cost", {}), m.get("latent", {})
    flat: dict = {k: fid.get(k) for k in ("fd", "precision", "recall", "density", "coverage")}
    flat["kid"] = fid.get("kid_mean")
    for k in ("classes_covered", "num_classes", "class_kl", "modes_covered", "num_modes", "hq_share", "reverse_kl"):
        if k in mc:
            flat[k] = mc[k]
    if "modes_total" in mc:
        flat["num_modes"], flat["hq_share"] = mc["modes_total"], mc["high_quality_share"]
    flat["memorization"] = m.get("memorization", {}).get("share")
    lik = m.get("likelihood", {})
    flat["bpd"] = lik["bits_per_dim"] if "bits_per_dim" in lik else lik
    rec = lat.get("reconstruction", {})
    flat["recon_mse"], flat["recon_psnr"] = (rec["mse"], rec["psnr"]) if "mse" in rec else (rec, rec)
    interp = lat.get("interpolation", {})
    flat["interp_smoothness"] = interp["mean"] if "mean" in interp else interp
    flat.update(params=cost.get("parameters"), train_images_per_s=cost.get("train_images_per_s"),
                train_seconds=cost.get("train_seconds"), sample_images_per_s=cost.get("samples_per_second"),
                nfe=cost.get("nfe"))
    peak = cost.get("peak_memory_bytes")
    if peak is not None:
        flat["peak_mem_mb"] = peak / 2**20 if isinstance(peak, int | float) else peak  # else why it is unavailable
    # A whole section can be one unavailable record (unlabelled images have no feature space): its keys
    # carry that record, so the report shows the reason rather than "not measured".
    for section, keys in (("fidelity", ("fd", "kid", "precision", "recall", "density", "coverage")),
                          ("mode_collapse", ("classes_covered", "class_kl")), ("memorization", ("memorization",))):
        if m.get(section, {}).get("available") is False:
            flat.update(dict.fromkeys(keys, m[section]))
    return {k: v for k, v in flat.items() if v is not None}


def collect_inputs(out: Path, families: tuple[str, ...], seeds: int) -> dict:
    """Read every run folder of a compare into the report's inputs."""
    per_family: dict[str, list[dict]] = {}
    curves, q_time, q_steps, elbo, images, manifests, floor = {}, {}, {}, {}, {}, [], {}
    for f in families:
        for s in range(seeds):
            run = out / "runs" / f"{f}-seed{s}"
            m = json.loads((run / "metrics.json").read_text())
            manifests.append(m["protocol"])
            per_family.setdefault(f, []).append(flatten_metrics(m))
            if not floor and isinstance(m.get("floor"), dict):
                floor = {k: v for k, v in m["floor"].items() if isinstance(v, int | float)}
        run0 = out / "runs" / f"{f}-seed0"
        rows = read_metrics(run0)
        curves[f] = [r for r in rows if not any(k.startswith("probe/") for k in r)]
        q_time[f] = [[r["time"], r["probe/fd"]] for r in rows if "probe/fd" in r]
        if (run0 / "quality_vs_steps.json").is_file():
            q_steps[f] = json.loads((run0 / "quality_vs_steps.json").read_text())
        if (run0 / "elbo_view.json").is_file():
            elbo[f] = json.loads((run0 / "elbo_view.json").read_text())
        images[f] = {p.stem: str(p) for p in sorted((run0 / "samples").glob("*.png")) if not p.stem.startswith("step-")}
    check_compatible(manifests)
    return {"per_family": per_family, "floor": floor, "curves": curves, "quality_vs_time": q_time,
            "quality_vs_steps": q_steps, "elbo_view": elbo, "images": images, "protocol": manifests[0]}
