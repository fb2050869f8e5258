"""Rate of a linear-Gaussian VAE against the closed-form KL; active units of a VAE whose decoder ignores half its
latent dimensions."""

import math

import torch

from genlab.config import run_config
from genlab.data import load_dataset
from genlab.evaluation.bottleneck import bottleneck_row, compression_point
from genlab.models.base import TrainState
from genlab.models.registry import build_model


def linear_vae(latent_dim: int):
    data = load_dataset("ring8", n_train=2000, n_test=500)
    cfg = run_config("vae", sets=["model.depth=0", f"model.latent_dim={latent_dim}", "model.likelihood=gaussian"],
                     data={"name": "ring8"}, data_info=data.info)
    torch.manual_seed(0)
    return build_model(cfg, data.info), data


def test_rate_of_linear_gaussian_vae_is_the_closed_form_kl():
    model, data = linear_vae(3)
    x = data.test
    layer = model.encoder[0] if isinstance(model.encoder, torch.nn.Sequential) else model.encoder
    with torch.no_grad():
        out = x.double() @ layer.weight.double().T + layer.bias.double()  # q(z|x) = N(W_mu x + b, exp(W_lv x + b'))
        mu, logvar = out.chunk(2, dim=1)
        q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
        kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1) / math.log(2)
    point = compression_point(model, x, torch.device("cpu"))
    assert math.isclose(point["rate_bits"], float(kl.mean()), rel_tol=1e-5)


def test_active_units_skip_dimensions_the_decoder_ignores():
    model, data = linear_vae(4)
    dec = model.decoder[0] if isinstance(model.decoder, torch.nn.Sequential) else model.decoder
    mask = torch.tensor([1.0, 1.0, 0.0, 0.0])  # the decoder reads z_0, z_1 only
    with torch.no_grad():
        dec.weight.mul_(mask)
    dec.weight.register_hook(lambda g: g * mask)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for step in range(1500):
        batch = data.train[torch.randint(0, len(data.train), (256,), generator=g)]
        loss = model("main", batch, TrainState(step, step / 1500))["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    row = bottleneck_row(model, data.test, torch.device("cpu"))
    assert (row["active_units"], row["latent_dim"]) == (2, 4)
