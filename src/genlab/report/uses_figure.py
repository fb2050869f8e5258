"""The compression section's figure: the VAE's rate-distortion curve over the beta sweep, its own run's point and
the LDM autoencoder's point (PSNR against rate)."""

from __future__ import annotations

import base64

CAPTION = ("Rate-distortion: PSNR against rate (KL in bits per image); the VAE's beta sweep as a line, its own "
           "run and the LDM autoencoder as points")


def rate_distortion_png(sections: list[dict] | None, plt, to_png) -> bytes | None:
    """PNG bytes of the curve drawn with the report's pyplot `plt()` and `to_png(fig)` (figures.py's), or None when
    the compression section has no point."""
    comp = next((s for s in sections or [] if s.get("key") == "compression"), None)
    if comp is None:
        return None
    sweep = sorted((p for p in comp["data"].get("sweep", []) if "rate_bits" in p), key=lambda p: p["beta"])
    points = comp["data"].get("points", {})
    if not sweep and not points:
        return None
    fig, ax = plt().subplots(figsize=(5.5, 3.8))
    if sweep:
        ax.plot([p["rate_bits"] for p in sweep], [p["psnr"] for p in sweep], "o-", color="C0", label="vae beta sweep")
        for p in sweep:
            ax.annotate(f"β={p['beta']:g}", (p["rate_bits"], p["psnr"]), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)
    for i, (fam, p) in enumerate(points.items()):
        ax.errorbar([p["rate_bits"]], [p["psnr"]], xerr=[1.96 * p.get("rate_bits_se", 0.0)], fmt="s",
                    color=f"C{i + 1}", label=f"{fam} (own run)" if fam == "vae" else f"{fam} autoencoder")
    ax.set_xlabel("rate [bits per image]")
    ax.set_ylabel("PSNR [dB]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return to_png(fig)


def figure_html(png: bytes | None) -> str:
    """An inline <figure> of the PNG ('' when there is none)."""
    if png is None:
        return ""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f"<figure class='fig'><img src='{src}' alt='rate-distortion'><figcaption>{CAPTION}</figcaption></figure>"
