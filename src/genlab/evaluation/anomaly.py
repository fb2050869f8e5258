"""Anomaly detection with each family (issue 17): score in-distribution test images against out-of-distribution
sets; AUROC and FPR at 95% TPR per score. Scores (higher = more anomalous): the negative log-likelihood bound
(VAE, DDPM, LDM), the reconstruction error (VAE, LDM autoencoder), minus the discriminator's logit (GAN), and the
typicality score |NLL(x) - mean training NLL| (Nalisnick et al. 2019, "Detecting out-of-distribution inputs to
deep generative models using typicality"). When an OOD set gets a HIGHER likelihood than the test split
(Nalisnick et al. 2019, "Do deep generative models know what they don't know?") it is reported, not hidden."""

from __future__ import annotations

import torch

from genlab.errors import ConfigError, NotAvailable
from genlab.evaluation.generate import batch_generator
from genlab.evaluation.representations import discriminator_parts
from genlab.metrics.auroc import detection
from genlab.metrics.records import unavailable

SCORES = {"nll": "negative log-likelihood bound [bits/dim]", "recon": "reconstruction squared error per image",
          "disc": "minus the discriminator's logit", "typicality": "|NLL - mean NLL of training data| [bits/dim]"}


def _nll(model, x: torch.Tensor, device: torch.device, batch: int, seed: int, t_subset: int | None) -> torch.Tensor:
    kw = {"t_subset": t_subset} if model.family in ("ddpm", "ldm") and t_subset else {}
    with torch.no_grad():
        return torch.cat([model.log_likelihood(x[i:i + batch].to(device), generator=batch_generator(device, seed, b),
                                               **kw).double().cpu()
                          for b, i in enumerate(range(0, len(x), batch))])


def score_fns(model, device: torch.device, batch: int, seed: int, t_subset: int | None) -> dict:
    """name -> x -> scores [N] (double, CPU) for the scores the family of `model` offers."""
    fam, fns = model.family, {}
    if fam in ("vae", "ddpm", "ldm"):
        fns["nll"] = lambda x: _nll(model, x, device, batch, seed, t_subset)
    if fam in ("vae", "ldm"):
        def recon(x):
            with torch.no_grad():
                return torch.cat([(model.reconstruct(x[i:i + batch].to(device)).double().cpu()
                                   - x[i:i + batch].double()).pow(2).flatten(1).sum(1)
                                  for i in range(0, len(x), batch)])
        fns["recon"] = recon
    if fam == "gan":
        def disc(x):
            with torch.no_grad():
                return torch.cat([-discriminator_parts(model, x[i:i + batch].to(device))[1].double().cpu()
                                  for i in range(0, len(x), batch)])
        fns["disc"] = disc
    return fns


def anomaly_detection(model, x_in: torch.Tensor, x_train: torch.Tensor, sets: dict[str, dict],
                      device: torch.device, batch: int = 250, seed: int = 0, t_subset: int | None = 50) -> dict:
    """{'sets': name -> what, 'scores': score -> {'what', 'in_mean', 'sets': name -> detection record},
    'higher_likelihood_ood': [warnings]} for in-distribution test images x_in against each OOD set; `x_train`
    (training images) sets the typical NLL."""
    out = {"sets": {k: v["what"] for k, v in sets.items()}, "scores": {}, "higher_likelihood_ood": []}
    fns = score_fns(model, device, batch, seed, t_subset)
    if not fns:
        return {**out, **unavailable(f"{model.family}: no anomaly score")}
    for name, fn in fns.items():
        try:
            s_in = fn(x_in)
            s_out = {k: fn(v["x"]) for k, v in sets.items()}
        except (NotAvailable, ConfigError) as e:  # e.g. a conditional VAE needs labels for its likelihood
            out["scores"][name] = {"what": SCORES[name], **unavailable(str(e))}
            continue
        out["scores"][name] = rec = _record(name, s_in, s_out)
        if name == "nll":
            for k, s in s_out.items():
                if float(s.mean()) < float(s_in.mean()):
                    d = rec["sets"][k]
                    sure = "clearly" if d["auroc"] + 1.96 * d["auroc_se"] < 0.5 else "within noise (AUROC interval " \
                        "reaches 0.5)"
                    out["higher_likelihood_ood"].append(
                        f"{model.family} gives '{k}' a higher likelihood than its own test data, {sure}: NLL "
                        f"{float(s.mean()):.4g} < {float(s_in.mean()):.4g} bits/dim, AUROC {d['auroc']:.3f} "
                        "(Nalisnick et al. 2019)")
            typical = float(fn(x_train).mean())
            out["scores"]["typicality"] = _record("typicality", (s_in - typical).abs(),
                                                  {k: (s - typical).abs() for k, s in s_out.items()})
            out["scores"]["typicality"]["train_nll_mean"] = typical
    return out


def _record(name: str, s_in: torch.Tensor, s_out: dict[str, torch.Tensor]) -> dict:
    return {"what": SCORES[name], "in_mean": float(s_in.mean()), "in_se": float(s_in.std() / len(s_in) ** 0.5),
            "sets": {k: {**detection(s_in, s), "out_mean": float(s.mean())} for k, s in s_out.items()}}
