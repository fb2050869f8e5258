"""Each family's representation of an image, and linear-probe accuracy on it (issue 17): VAE posterior mean, LDM
latent, DDPM's DDIM-inverted x_T and U-Net bottleneck at a mid noise level, GAN discriminator's penultimate
features, raw pixels as the baseline."""

from __future__ import annotations

import torch
from torch import nn

from genlab.data.dataset import Dataset
from genlab.errors import ConfigError, NotAvailable
from genlab.metrics.linear_probe import linear_probe
from genlab.metrics.records import unavailable

MID_T = 0.5  # the bottleneck is read at t = MID_T * T


def _batched(fn, x: torch.Tensor, device: torch.device, batch: int) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(x[i:i + batch].to(device)).float().cpu().reshape(min(batch, len(x) - i), -1)
                          for i in range(0, len(x), batch)])


def discriminator_parts(model, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(penultimate features [B, ...], unconditional logit [B]) of a GAN's discriminator on x (eval, no labels: a
    projection discriminator's class term is left out)."""
    d = model.D
    if getattr(d, "pad", None) is not None and any(d.pad):
        x = nn.functional.pad(x, d.pad)
    h = d.net[:-1](x)
    return h, d.net[-1](h).flatten()


def unet_bottleneck(model, x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """The U-Net's middle activation [B, C, h, w] (after mid2) on x_t = sqrt(ab) x + sqrt(1 - ab) eps at t = T/2
    (null class for a conditional model); eps from a fixed seed."""
    net = model.net
    if not hasattr(net, "mid2"):
        raise NotAvailable(f"{model.family}: the network has no U-Net bottleneck (2-D points use an MLP)")
    t = int(MID_T * model.process.T)
    ab = float(model.process.alpha_bar[t])
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed)).to(x.device, x.dtype)
    x_t = ab ** 0.5 * x + (1 - ab) ** 0.5 * eps
    got = {}
    hook = net.mid2.register_forward_hook(lambda _m, _i, out: got.__setitem__("h", out))
    try:
        model.denoiser(clip_x0=False)(x_t, torch.full((len(x),), t, dtype=torch.long, device=x.device))
    finally:
        hook.remove()
    return got["h"]


def feature_fns(model, steps: int = 20) -> dict[str, tuple[str, object]]:
    """name -> (what it is, x [B, ...] -> features) for the family of `model`."""
    fam = model.family
    if fam == "vae":
        return {"posterior_mean": ("VAE posterior mean E[z|x]", model.encode)}
    if fam == "ldm":
        return {"latent": ("LDM autoencoder latent (scaled posterior mean)", model.encode)}
    if fam == "ddpm":
        return {"ddim_xT": (f"DDIM-inverted x_T ({steps} steps)", lambda x: model.encode(x, steps=steps)),
                "bottleneck": (f"U-Net bottleneck activation at t = {MID_T:g} T", lambda x: unet_bottleneck(model, x))}
    if fam == "gan":
        return {"disc_features": ("GAN discriminator penultimate features",
                                  lambda x: discriminator_parts(model, x)[0])}
    return {}


def probe_representations(model, data: Dataset, n_train: int, n_test: int, device: torch.device,
                          batch: int = 250, steps: int = 20, pixels: bool = True) -> dict:
    """name -> linear-probe record on the test split's labels (fitted on n_train training examples only), one per
    representation of the family, plus raw pixels when `pixels`."""
    if data.train_labels is None or data.test_labels is None:
        return {"available": False, "reason": f"'{data.name}' has no class labels to probe"}
    xtr, ytr = data.train[:n_train], data.train_labels[:n_train]
    xte, yte = data.test[:n_test], data.test_labels[:n_test]
    fns = dict(feature_fns(model, steps))
    if pixels:
        fns["pixels"] = ("raw pixels (baseline)", lambda x: x)
    out = {}
    for name, (what, fn) in fns.items():
        try:
            ftr, fte = _batched(fn, xtr, device, batch), _batched(fn, xte, device, batch)
        except (NotAvailable, ConfigError) as e:  # e.g. a conditional VAE's encoder wants the label
            out[name] = {"what": what, **unavailable(str(e))}
            continue
        out[name] = {"what": what, **linear_probe(ftr, ytr, fte, yte)}
    return out
