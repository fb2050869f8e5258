"""Seed 003's ELBO view: the VAE's reconstruction and KL terms beside the diffusion bound's per-step terms."""

from __future__ import annotations

import torch

from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable


def elbo_view(model, data: Dataset, n: int = 64) -> dict:
    """The VAE's reconstruction and KL terms, or the diffusion bound's L_t, in bits/dim, on n test examples."""
    device = next(model.parameters()).device
    x = data.test[:n].to(device)
    g = torch.Generator(device).manual_seed(0)
    # a conditional model's terms are those of its bound on -log p(x|y), given the test labels
    given = {"labels": data.test_labels[:n].to(device)} if model.conditional and data.test_labels is not None else {}
    if hasattr(model, "elbo_terms"):
        terms = model.elbo_terms(x, generator=g, **given)
        return {"recon_bpd": float(terms["recon"].mean()), "kl_bpd": float(terms["kl"].mean())}
    if hasattr(model, "vlb_terms"):
        v = model.vlb_terms(x, generator=g, **given)
        terms = v["terms"].mean(0)  # [T]: L_0 (decoder), then L_1..L_{T-1}
        return {"t": list(range(len(terms))), "L_t_bpd": terms.tolist(), "L_0_bpd": float(terms[0]),
                "prior_bpd": float(v["prior"].mean()), "total_bpd": float(v["total"].mean())}
    raise NotAvailable(f"{model.family}: no ELBO")
