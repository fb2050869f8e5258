"""What the trainer logs about samples during training: mode coverage on 2-D mixtures, for every family."""

from __future__ import annotations

import torch

from genlab.data.dataset import Dataset
from genlab.metrics import modes


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
