"""A tiny family for trainer tests: a linear autoencoder with optional noise and a planted NaN."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from genlab.models import registry
from genlab.models.base import GenerativeModel


@dataclass
class ToyConfig:
    width: int = 8
    noise: float = 0.1  # input noise: exercises the per-step RNG; 0 makes the loss deterministic
    nan_at_step: int = -1  # return a NaN loss at this step (tests the divergence stop)
    two_groups: bool = False  # encoder and decoder as two optimizer groups (like a GAN's D and G)


class Toy(GenerativeModel):
    family = "toy"
    default_train = {"lr": 1e-2, "warmup_steps": 3, "batch_size": 16, "log_every": 1, "sample_every": 0,
                     "checkpoint_every": 5}

    def __init__(self, config: ToyConfig, info):
        super().__init__(config, info)
        d = info.dim
        self.enc = nn.Linear(d, config.width)
        self.dec = nn.Linear(config.width, d)

    def optimizer_groups(self):
        if self.config.two_groups:
            return {"enc": {"params": list(self.enc.parameters())},
                    "dec": {"params": list(self.dec.parameters()), "lr": 5e-3}}
        return super().optimizer_groups()

    def plan(self, state):
        return ["enc", "dec"] if self.config.two_groups else ["main"]

    def forward(self, group, batch, state, labels=None):
        x = batch.flatten(1)
        if self.config.noise:
            x = x + self.config.noise * torch.randn_like(x)
        rec = self.dec(self.enc(x))
        loss = ((rec - batch.flatten(1)) ** 2).mean()
        if state.step == self.config.nan_at_step:
            loss = loss * float("nan")
        return {"loss": loss, "mse": loss.detach()}

    @torch.no_grad()
    def sample(self, n, generator=None, **options):
        z = torch.randn(n, self.config.width, generator=generator, device=self.dec.weight.device)
        return self.dec(z).view(n, *self.info.shape).clamp(-1, 1)


def register() -> None:
    registry.FAMILIES["toy"] = lambda: (Toy, ToyConfig)


def toy_dataset(n: int = 96, kind: str = "image"):
    from genlab.data.dataset import Dataset

    g = torch.Generator().manual_seed(0)
    if kind == "points":
        x = torch.rand(n, 2, generator=g) * 2 - 1
        return Dataset("toy-points", "points", x[: n * 3 // 4], x[n * 3 // 4:], None)
    k = torch.randint(0, 17, (n, 1, 4, 4), generator=g)
    x = 2 * k.float() / 16 - 1
    return Dataset("toy-images", "image", x[: n * 3 // 4], x[n * 3 // 4:], 17)


def toy_config(**train):
    from genlab.config import build_config

    register()
    model = train.pop("model", {})
    return build_config("toy", Toy, ToyConfig, cli={"train": train, "model": model})
