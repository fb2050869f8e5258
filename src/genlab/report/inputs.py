"""Reading a compare's run folders into the report's inputs (the report reads files only)."""

from __future__ import annotations

import json
from pathlib import Path

from genlab.evaluation.protocol import check_compatible
from genlab.train.logger import read_metrics

SUFFIX = {"trained": "", "identity": "", "pixels": "_pixels", "dinov2": "_dinov2"}


def space_records(m: dict) -> list[tuple[str, dict]]:
    """(key suffix, record) of every feature space in a metrics.json; the first space gets no suffix. Files
    written before feature spaces had one space, at the top level."""
    spaces = m.get("spaces")
    if not spaces:
        fid = m.get("fidelity", {})
        return [("", {"fidelity": fid, "floor": m.get("floor", {}), "calibration": {"passed": True}})] \
            if fid.get("available", True) else []
    roles = list(spaces)
    return [("" if i == 0 else SUFFIX.get(r, "_" + r), spaces[r]) for i, r in enumerate(roles)]


def space_keys(fid: dict, suffix: str) -> dict:
    """A space's fidelity record as flat keys with the suffix: fd, fd_se, kid, kid_se, precision, ..."""
    out = {}
    for k in ("fd", "precision", "recall", "density", "coverage"):
        if k in fid:
            out[k + suffix] = fid[k]
            if k + "_se" in fid:
                out[k + suffix + "_se"] = fid[k + "_se"]
    if "kid_mean" in fid:
        out["kid" + suffix] = fid["kid_mean"]
        if "kid_se" in fid:
            out["kid" + suffix + "_se"] = fid["kid_se"]
    return out


def flatten_metrics(m: dict) -> dict:
    """metrics.json -> the flat per-family record the report's table reads."""
    mc, cost, lat = m.get("mode_collapse", {}), m.get("cost", {}), m.get("latent", {})
    flat: dict = {}
    for suffix, space in space_records(m):
        flat.update(space_keys(space["fidelity"], suffix))
        flat["calibrated" + suffix] = 1.0 if space.get("calibration", {}).get("passed") else 0.0
    for k in ("classes_covered", "num_classes", "class_kl", "modes_covered", "num_modes", "hq_share", "reverse_kl"):
        if k in mc:
            flat[k] = mc[k]
    if "modes_total" in mc:
        flat["num_modes"], flat["hq_share"] = mc["modes_total"], mc["high_quality_share"]
    cond = m.get("conditional", {})
    if "class_accuracy" in cond:  # conditional runs only: unconditional ones have no row
        flat["class_accuracy"], flat["class_accuracy_se"] = cond["class_accuracy"], cond.get("class_accuracy_se")
    flat["memorization"] = m.get("memorization", {}).get("share")
    lik = m.get("likelihood", {})
    flat["bpd"] = lik["bits_per_dim"] if "bits_per_dim" in lik else lik
    if "bits_per_dim_sem" in lik:
        flat["bpd_se"] = lik["bits_per_dim_sem"]
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
    curves, q_time, q_steps, elbo, knobs, images, manifests, floor = {}, {}, {}, {}, {}, {}, [], {}
    for f in families:
        for s in range(seeds):
            run = out / "runs" / f"{f}-seed{s}"
            m = json.loads((run / "metrics.json").read_text())
            manifests.append(m["protocol"])
            per_family.setdefault(f, []).append(flatten_metrics(m))
            if not floor:
                for suffix, space in space_records(m):
                    floor.update({k: v for k, v in space_keys(space.get("floor", {}), suffix).items()
                                  if isinstance(v, int | float) and not k.endswith("_se")})
        run0 = out / "runs" / f"{f}-seed0"
        rows = read_metrics(run0)
        curves[f] = [r for r in rows if not any(k.startswith("probe/") for k in r)]
        q_time[f] = [[r["time"], r["probe/fd"]] for r in rows if "probe/fd" in r]
        if (run0 / "quality_vs_steps.json").is_file():
            q_steps[f] = json.loads((run0 / "quality_vs_steps.json").read_text())
        if (run0 / "elbo_view.json").is_file():
            elbo[f] = json.loads((run0 / "elbo_view.json").read_text())
        if (run0 / "knob_curve.json").is_file():  # conditional compares
            knobs[f] = json.loads((run0 / "knob_curve.json").read_text())
        images[f] = {p.stem: str(p) for p in sorted((run0 / "samples").glob("*.png")) if not p.stem.startswith("step-")}
    check_compatible(manifests)
    return {"per_family": per_family, "floor": floor, "curves": curves, "quality_vs_time": q_time,
            "quality_vs_steps": q_steps, "elbo_view": elbo, "fidelity_diversity": knobs, "images": images,
            "protocol": manifests[0]}
