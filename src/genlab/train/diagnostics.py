"""What the trainer logs about samples during training: mode coverage on 2-D mixtures, for every family, and the
end-of-run verdict on collapse."""

from __future__ import annotations

import torch

from genlab.data.dataset import Dataset
from genlab.metrics import modes

COLLAPSE_SHARE = 0.5  # a run covering fewer than this share of the modes (or classes) is called collapsed


@torch.no_grad()
def training_diagnostics(model, data: Dataset, generator: torch.Generator, n: int = 2000) -> dict[str, float]:
    """Modes covered, high-quality share and reverse KL of n samples on a 2-D mixture (VEEGAN, PacGAN);
    nothing for data that declares no modes."""
    if data.modes is None or data.mode_std is None:
        return {}
    x = data.to_native(model.sample(n, generator))
    centres = data.modes.to(x.device, x.dtype)
    return {"modes_covered": float(modes.modes_covered(x, centres, data.mode_std)),
            "modes_total": float(centres.shape[0]),
            "hq_share": modes.high_quality_share(x, centres, data.mode_std),
            "reverse_kl": modes.reverse_kl(x, centres, data.mode_std)}


def collapsed(covered: float, total: float) -> bool:
    """True when fewer than COLLAPSE_SHARE of the modes (or classes) are covered."""
    return covered < COLLAPSE_SHARE * total


def diagnosis_line(family: str, step: int, diag: dict[str, float]) -> str:
    """One line on the diagnostics at the end of a run, saying so in words when the family collapsed."""
    covered, total = int(diag["modes_covered"]), int(diag["modes_total"])
    text = (f"{family} at step {step}: {covered} of {total} modes covered, high-quality share "
            f"{diag['hq_share']:.2f}")
    if collapsed(covered, total):
        return f"MODE COLLAPSE: {text}: fewer than half the modes (diag/* in metrics.jsonl)"
    return text
