"""The pythae VAE peer of benchmark 4, run in the peer env (pythae is not installed beside genlab).

    .venv-bench/bin/python benchmarks/peers/pythae_vae.py --train X.npy --budget-seconds 600 --n 2000 --out S.npy

Trains pythae's VAE as a user builds it, `VAE(VAEConfig(...))` with pythae's default MLP encoder/decoder
(`--nets conv`: its MNIST benchmark convnets Encoder_Conv_VAE_MNIST / Decoder_Conv_AE_MNIST instead; `--nets
resnet`: its MNIST benchmark ResNets Encoder_ResNet_VAE_MNIST / Decoder_ResNet_AE_MNIST); all its decoders end in a
sigmoid, so the Bernoulli (BCE) reconstruction loss. A plain Adam loop for a wall-clock
budget, then draws samples with pythae's NormalSampler. Needs only torch, numpy and pythae.
Input: training images [N, 1, 28, 28] in [-1, 1]; output: samples [n, 1, 28, 28] in [-1, 1] and a JSON
record (parameters, steps, training images/s, sampling images/s) on the last stdout line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--budget-seconds", type=float, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--latent-dim", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--nets", choices=("default", "conv", "resnet"), default="default")
    a = ap.parse_args()
    from pythae.data.datasets import DatasetOutput
    from pythae.models import VAE, VAEConfig
    from pythae.models.nn.benchmarks.mnist import (
        Decoder_Conv_AE_MNIST,
        Decoder_ResNet_AE_MNIST,
        Encoder_Conv_VAE_MNIST,
        Encoder_ResNet_VAE_MNIST,
    )
    from pythae.samplers import NormalSampler

    torch.manual_seed(a.seed)
    torch.set_flush_denormal(True)
    x_all = (torch.from_numpy(np.load(a.train)).float() + 1) / 2  # pythae's MNIST nets expect [0, 1]
    cfg = VAEConfig(input_dim=tuple(x_all.shape[1:]), latent_dim=a.latent_dim, reconstruction_loss="bce")
    if a.nets == "conv":
        model = VAE(cfg, encoder=Encoder_Conv_VAE_MNIST(cfg), decoder=Decoder_Conv_AE_MNIST(cfg))
    elif a.nets == "resnet":
        model = VAE(cfg, encoder=Encoder_ResNet_VAE_MNIST(cfg), decoder=Decoder_ResNet_AE_MNIST(cfg))
    else:
        model = VAE(cfg)
    model.to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    g = torch.Generator().manual_seed(a.seed)
    perm, pos, steps, elapsed = torch.randperm(len(x_all), generator=g), 0, 0, 0.0
    model.train()
    while elapsed < a.budget_seconds:
        t0 = time.perf_counter()
        if pos + a.batch_size > len(x_all):
            perm, pos = torch.randperm(len(x_all), generator=g), 0
        x = x_all[perm[pos:pos + a.batch_size]].to(a.device)
        pos += a.batch_size
        loss = model(DatasetOutput(data=x)).loss  # negative ELBO: BCE reconstruction + KL(q(z|x) || N(0, I))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        steps += 1
        elapsed += time.perf_counter() - t0
    model.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        x = NormalSampler(model).sample(num_samples=a.n, batch_size=500, return_gen=True)
    sample_seconds = time.perf_counter() - t0
    np.save(a.out, (x.float().cpu().numpy() * 2 - 1).astype(np.float32))
    print(json.dumps({"params": sum(p.numel() for p in model.parameters()), "steps": steps,
                      "images": steps * a.batch_size, "train_seconds": elapsed,
                      "train_images_per_s": steps * a.batch_size / elapsed,
                      "sample_images_per_s": a.n / sample_seconds, "final_loss": loss.item(),
                      "latent_dim": a.latent_dim, "lr": a.lr, "batch_size": a.batch_size,
                      "encoder": type(model.encoder).__name__, "decoder": type(model.decoder).__name__,
                      "reconstruction_loss": "bce", "sampler": "NormalSampler"}))


if __name__ == "__main__":
    main()
