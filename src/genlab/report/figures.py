"""Report figures as PNG bytes (matplotlib, Agg): loss curves, quality vs time, quality vs steps, ELBO view, and
(conditional compares) fidelity against diversity along each family's knob.

Each function returns None when it has nothing to draw, so the report shows only figures backed by data.
"""

from __future__ import annotations

import io

from genlab.report.schema import Curves, ElboView, FidelityDiversity, QualityVsSteps, QualityVsTime
from genlab.report.uses_figure import CAPTION as RD_CAPTION
from genlab.report.uses_figure import rate_distortion_png

_LOG_KEYS = ("step", "time", "images_seen")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    finally:  # pyplot keeps every figure it is not told to close
        _plt().close(fig)
    return buf.getvalue()


def _floor_line(ax, floor_fd: float | None) -> None:
    if floor_fd is not None and floor_fd > 0:
        ax.axhline(floor_fd, color="grey", ls=":", lw=1, label="real vs real floor")


def _colours(families: list[str]) -> dict[str, str]:
    """One fixed colour per family, the same in every figure."""
    return {f: f"C{i % 10}" for i, f in enumerate(families)}


def loss_curves(curves: Curves, families: list[str] | None = None) -> bytes | None:
    """One panel per family (in `families` order): every logged loss term against the optimizer step."""
    order = list(families or []) + [f for f in curves if f not in (families or [])]
    fams = [f for f in order if curves.get(f)]
    if not fams:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(fams), figsize=(3.6 * len(fams), 3.0), squeeze=False)
    for ax, fam in zip(axes[0], fams, strict=True):
        rows = curves[fam]
        terms = sorted({k for r in rows for k, v in r.items()
                        if k not in _LOG_KEYS and isinstance(v, int | float) and not isinstance(v, bool)})
        for term in terms:
            pts = [(r["step"], r[term]) for r in rows if term in r and "step" in r]
            if pts:
                ax.plot(*zip(*pts, strict=True), lw=1, label=term)
        values = [r[t] for r in rows for t in terms if t in r]
        if values and min(values) > 0:
            ax.set_yscale("log")
        ax.set_title(fam)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if terms:
            ax.legend(fontsize=7)
    axes[0][0].set_ylabel("loss")
    return _png(fig)


def quality_vs_time(qvt: QualityVsTime, floor_fd: float | None = None,
                    families: list[str] | None = None) -> bytes | None:
    """FD against training seconds, one line per family."""
    series = {f: sorted(pts) for f, pts in qvt.items() if pts}
    if not series:
        return None
    colour = _colours(list(families or []) + [f for f in series if f not in (families or [])])
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for fam, pts in series.items():
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, color=colour[fam], label=fam)
    _floor_line(ax, floor_fd)
    if all(p[1] > 0 for pts in series.values() for p in pts):
        ax.set_yscale("log")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("FD (lower is better)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def quality_vs_steps(qvs: QualityVsSteps, one_step: dict[str, tuple[float, float]] | None = None,
                     floor_fd: float | None = None, families: list[str] | None = None) -> bytes | None:
    """FD against sampling steps (NFE): one line per diffusion family and sampler, one-step families as points."""
    lines = {(f, s): sorted(pts) for f, samplers in qvs.items() for s, pts in samplers.items() if pts}
    one_step = one_step or {}
    if not lines and not one_step:
        return None
    names = list(families or [])
    names += [f for f in [*qvs, *one_step] if f not in names]
    colour = _colours(names)
    styles = {}
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for (fam, sampler), pts in lines.items():
        ls = styles.setdefault(sampler, ("-", "--", ":", "-.")[len(styles) % 4])
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, ls=ls, color=colour[fam],
                label=f"{fam} / {sampler}")
    for fam, (nfe, fd) in one_step.items():
        ax.scatter([nfe], [fd], marker="*", s=90, zorder=3, color=colour[fam], label=f"{fam} (one step)")
    _floor_line(ax, floor_fd)
    ax.set_xscale("log")
    ys = [p[1] for pts in lines.values() for p in pts] + [v[1] for v in one_step.values()]
    if ys and min(ys) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("network evaluations per sample (NFE)")
    ax.set_ylabel("FD (lower is better)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _png(fig)


def elbo_view(elbo: ElboView) -> bytes | None:
    """Seed 003's view: the VAE's reconstruction and KL terms beside the diffusion per-step L_t (bits/dim, log y)."""
    vae, ddpm = elbo.get("vae"), elbo.get("ddpm")
    if not vae and not ddpm:
        return None
    plt = _plt()
    panels = [p for p in (vae, ddpm) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.4), squeeze=False)
    axes = list(axes[0])
    if vae:
        ax = axes.pop(0)
        names, vals = ["reconstruction", "KL(q(z|x) || p(z))"], [vae["recon_bpd"], vae["kl_bpd"]]
        ax.bar(names, vals, color=["tab:blue", "tab:orange"])
        ax.set_yscale("log")
        ax.set_title(f"VAE: -ELBO = {vae['recon_bpd'] + vae['kl_bpd']:.3g} bits/dim")
        ax.set_ylabel("bits/dim")
    if ddpm:
        ax = axes.pop(0)
        ax.plot(ddpm["t"], ddpm["L_t_bpd"], lw=1, label="L_t (per-step KL)")
        ax.axhline(ddpm["L_0_bpd"], color="tab:green", ls="--", lw=1, label="L_0 (decoder)")
        ax.axhline(ddpm["prior_bpd"], color="tab:red", ls=":", lw=1, label="L_T (prior)")
        ax.set_yscale("log")
        ax.set_xlabel("t")
        ax.set_ylabel("bits/dim")
        ax.set_title(f"Diffusion: -ELBO = {ddpm['total_bpd']:.3g} bits/dim")
        ax.legend(fontsize=7)
    return _png(fig)


_KNOB_SYMBOL = {"guidance": "w", "truncation": "psi", "temperature": "T"}


def fidelity_diversity(curves: FidelityDiversity, families: list[str] | None = None) -> bytes | None:
    """Two panels, one curve per family as it turns its knob: precision against recall, FD against coverage; each
    point is labelled with its knob value."""
    fams = [f for f in list(families or []) + [f for f in curves if f not in (families or [])]
            if curves.get(f, {}).get("points")]
    if not fams:
        return None
    colour = _colours(list(families or []) + [f for f in fams if f not in (families or [])])
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for fam in fams:
        knob, pts = curves[fam]["knob"], curves[fam]["points"]
        sym = _KNOB_SYMBOL.get(knob, knob)
        for ax, (x, y) in zip(axes, (("recall", "precision"), ("coverage", "fd")), strict=True):
            xs, ys = [p[x] for p in pts], [p[y] for p in pts]
            ax.plot(xs, ys, marker="o", ms=3, color=colour[fam], label=f"{fam} ({knob})")
            for p, px, py in zip(pts, xs, ys, strict=True):
                ax.annotate(f"{sym}={p['value']:g}", (px, py), fontsize=6, xytext=(3, 3), textcoords="offset points")
    for ax, (xl, yl) in zip(axes, (("recall (diversity)", "precision (fidelity)"),
                                   ("coverage (diversity)", "FD (fidelity, lower is better)")), strict=True):
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return _png(fig)


def all_figures(results: dict) -> dict[str, tuple[str, bytes]]:
    """name -> (caption, PNG bytes) for every figure the results have data for, in report order."""
    floor_fd = (results.get("floor") or {}).get("fd")
    fams = list(results.get("families", []))
    one_step = {}
    for fam, cells in results.get("metrics", {}).items():
        nfe, fd = cells.get("nfe", {}), cells.get("fd", {})
        if nfe.get("available") and fd.get("available") and nfe["mean"] == 1:
            one_step[fam] = (1.0, fd["mean"])
    made = {
        "loss_curves": ("Training losses (seed 0) against optimizer step",
                        loss_curves(results.get("curves", {}), fams)),
        "quality_vs_time": ("FD against training time",
                            quality_vs_time(results.get("quality_vs_time", {}), floor_fd, fams)),
        "quality_vs_steps": ("FD against the number of sampling steps (NFE); one-step families as stars",
                             quality_vs_steps(results.get("quality_vs_steps", {}), one_step, floor_fd, fams)),
        "elbo_view": ("The ELBO view (seed 003): VAE reconstruction vs KL, diffusion per-step L_t, all in bits/dim",
                      elbo_view(results.get("elbo_view", {}))),
        "fidelity_diversity": ("Conditional models: fidelity against diversity as each family turns its own knob "
                               "(diffusion: guidance w; GAN: truncation psi; VAE: temperature T)",
                               fidelity_diversity(results.get("fidelity_diversity", {}), fams)),
    }
    made["rate_distortion"] = (RD_CAPTION, rate_distortion_png(results.get("uses"), _plt, _png))  # compare --uses
    return {k: (caption, png) for k, (caption, png) in made.items() if png is not None}
