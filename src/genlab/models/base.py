"""The protocol every model family implements; the trainer, CLI and metrics rely on nothing else.

A family is an nn.Module built from (its config dataclass, DataInfo). Training is a list of
optimizer *groups* (one for VAE/diffusion, 'disc' then 'gen' for a GAN, two stages for latent
diffusion). Each iteration the trainer asks `plan(state)` which groups to update, in order, and for
each group calls `forward(group, batch, state)`, backpropagates the returned 'loss', clips and steps
that group's optimizer. The trainer owns the loop, EMA, AMP, DDP, checkpoints and logging.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from genlab.data.dataset import DataInfo, Dataset
from genlab.errors import NotAvailable


@dataclass
class TrainState:
    """Where training stands, passed to the model each step."""

    step: int  # optimizer iterations completed so far
    progress: float  # fraction of the budget used, in [0, 1]


class GenerativeModel(nn.Module):
    """Base class of the families. Subclasses set `family` and implement forward and sample."""

    family: str = ""

    def __init__(self, config, info: DataInfo):
        super().__init__()
        self.config = config
        self.info = info

    @property
    def device(self) -> torch.device:
        """Where the model's tensors live (its first parameter or buffer; CPU for a model holding none)."""
        for t in itertools.chain(self.parameters(), self.buffers()):
            return t.device
        return torch.device("cpu")

    # ---- training -------------------------------------------------------------------------
    def optimizer_groups(self) -> dict[str, dict]:
        """Group name -> {'params': [...], optional 'lr', 'betas', 'weight_decay'} overriding the train config."""
        return {"main": {"params": [p for p in self.parameters() if p.requires_grad]}}

    def plan(self, state: TrainState) -> list[str]:
        """Groups to update this iteration, in order (e.g. ['disc', 'disc', 'gen'])."""
        return ["main"]

    def forward(self, group: str, batch: torch.Tensor, state: TrainState) -> dict[str, torch.Tensor]:
        """Loss terms for one update of `group`; 'loss' (scalar) is backpropagated, the rest are logged."""
        raise NotImplementedError

    def on_group_start(self, group: str, data: Dataset, state: TrainState) -> None:
        """Called the first time `group` appears in the plan (latent diffusion estimates its latent scale here)."""

    # ---- use -------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, **options) -> torch.Tensor:
        """n samples in data space ([-1, 1]), shape [n, *info.shape]."""
        raise NotImplementedError

    def sample_options(self) -> dict[str, object]:
        """The family's own sampling options and their defaults (e.g. sampler, steps, truncation)."""
        return {}

    def nfe(self, **options) -> int:
        """Network evaluations per sample under these sampling options."""
        return 1

    def log_likelihood(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A bound on -log P(x) of the discrete data in bits/dim, per example [B]; NotAvailable if undefined."""
        raise NotAvailable(f"{self.family}: likelihood is not defined for this family")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotAvailable(f"{self.family}: this family has no encoder")

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotAvailable(f"{self.family}: this family has no decoder")

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def interpolate(self, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8, mode: str = "slerp") -> torch.Tensor:
        """Frames between two single examples [*shape] (latents [latent_dim] for GANs) -> [steps, *shape]."""
        raise NotAvailable(f"{self.family}: this family has no interpolation")
