"""What compare measures beyond the metric suite: quality during training, quality against sampling
steps, diffusion's editing panels, the ELBO terms, and gathering run folders for the report."""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable
from genlab.sampling import generate
from genlab.train.checkpoint import atomic_write_json
from genlab.train.logger import read_metrics

# Sampler -> step counts for the quality-against-steps curve (ancestral DDPM is the 1000-step reference).
STEP_GRID = {"ddpm": (100, 1000), "ddim": (5, 10, 20, 50, 100), "dpm_solver": (5, 10, 20),
             "sde_dpm_solver": (5, 10, 20)}


def sample_fd(model, data: Dataset, evaluator, ref: torch.Tensor, n: int, **options) -> tuple[float, float]:
    """(FD of n fixed-seed samples, seen as the metric suite sees them, to reference features `ref`;
    seconds spent sampling them)."""
    from genlab.metrics.frechet import frechet_distance
    from genlab.metrics.suite import as_data

    t0 = time.perf_counter()
    x = generate(model, n, seed=12345, batch_size=500, **options)
    seconds = time.perf_counter() - t0
    return frechet_distance(evaluator.features(as_data(x, data)), ref), seconds


def quality_probe(data: Dataset, evaluator, ref: torch.Tensor, n: int):
    """A function of the EMA model giving FD of n fixed-seed samples to the test split's features `ref`."""
    return lambda model: {"fd": sample_fd(model, data, evaluator, ref, n)[0]}


def quality_vs_steps(model, data: Dataset, evaluator, ref: torch.Tensor, n: int,
                     grid: dict | None = None) -> dict[str, list[list[float]]]:
    """For each sampler: [steps, FD, seconds per image] at each step count of the grid (default STEP_GRID)."""
    out: dict[str, list[list[float]]] = {}
    for sampler, counts in (grid or STEP_GRID).items():
        for steps in counts:
            fd, seconds = sample_fd(model, data, evaluator, ref, n, sampler=sampler, steps=steps)
            out.setdefault(sampler, []).append([steps, fd, seconds / n])
    return out


def elbo_view(model, data: Dataset, n: int = 64) -> dict:
    """Seed 003's ELBO view: the VAE's reconstruction and KL terms, or the diffusion bound's L_t, in bits/dim."""
    device = next(model.parameters()).device
    x = data.test[:n].to(device)
    g = torch.Generator(device).manual_seed(0)
    if hasattr(model, "elbo_terms"):
        terms = model.elbo_terms(x, generator=g)
        return {"recon_bpd": float(terms["recon"].mean()), "kl_bpd": float(terms["kl"].mean())}
    if hasattr(model, "vlb_terms"):
        v = model.vlb_terms(x, generator=g)
        terms = v["terms"].mean(0)  # [T]: L_0 (decoder), then L_1..L_{T-1}
        return {"t": list(range(len(terms))), "L_t_bpd": terms.tolist(), "L_0_bpd": float(terms[0]),
                "prior_bpd": float(v["prior"].mean()), "total_bpd": float(v["total"].mean())}
    raise NotAvailable(f"{model.family}: no ELBO")


def family_extras(model, data: Dataset, evaluator, ref: torch.Tensor, run_dir: Path, n: int,
                  grid: dict | None = None, n_elbo: int = 64) -> None:
    """Write quality_vs_steps.json, elbo_view.json and the editing panels where the family has them."""
    from genlab.edit.panels import save_edit_panels

    if "steps" in model.sample_options():
        atomic_write_json(run_dir / "quality_vs_steps.json", quality_vs_steps(model, data, evaluator, ref, n, grid))
    try:
        atomic_write_json(run_dir / "elbo_view.json", elbo_view(model, data, n_elbo))
    except NotAvailable:
        pass
    if data.kind == "image":
        save_edit_panels(model, data, run_dir / "samples")


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
    from genlab.metrics.protocol import check_compatible

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
