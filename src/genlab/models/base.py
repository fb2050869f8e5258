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
from genlab.errors import ConfigError, NotAvailable


@dataclass
class TrainState:
    """Where training stands, passed to the model each step."""

    step: int  # optimizer iterations completed so far
    progress: float  # fraction of the budget used, in [0, 1]


class GenerativeModel(nn.Module):
    """Base class of the families. Subclasses set `family` and implement forward and sample."""

    family: str = ""
    null_class: bool = False  # a conditional model of this family also samples unconditionally (label -1)

    def __init__(self, config, info: DataInfo):
        super().__init__()
        self.config = config
        self.info = info
        if self.conditional and not info.num_classes:
            raise ConfigError(f"{self.family}: --conditional (model.conditional) needs data with class labels; "
                              f"'{info.name}' has none")

    # ---- class conditioning ---------------------------------------------------------------
    @property
    def conditional(self) -> bool:
        """Whether the model is class-conditional (its config's `conditional`)."""
        return bool(getattr(self.config, "conditional", False))

    @property
    def num_classes(self) -> int | None:
        """Classes a conditional model draws (labels 0..K-1); None when unconditional."""
        return self.info.num_classes if self.conditional else None

    def sample_labels(self, n: int, labels=None) -> torch.Tensor | None:
        """Labels [n] on the model's device for sampling: None for an unconditional model (which refuses labels),
        the given ones checked against the classes (-1, the null class, where the family has one), or by default
        the even split, sample k of class k mod K."""
        allow_null = self.null_class
        if not self.conditional:
            if labels is not None:
                raise ConfigError(f"--label: this {self.family} run is unconditional (train with --conditional)")
            return None
        k = self.info.num_classes
        y = torch.arange(n) % k if labels is None else torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        if len(y) != n:
            raise ConfigError(f"{len(y)} labels for {n} samples")
        if not allow_null and bool((y == -1).any()):
            raise ConfigError(f"--label null: a conditional {self.family} has no null class (ddpm and ldm, trained "
                              "with label dropout, have one)")
        bad = y[(y >= k) | (y < (-1 if allow_null else 0))]
        if len(bad):
            null = ", or null" if allow_null else ""
            raise ConfigError(f"--label {int(bad[0])}: out of range; this run has {k} classes (0-{k - 1}{null})")
        return y.to(self.device)

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

    def group_span(self, group: str) -> tuple[float, float]:
        """The share of the training budget (start, end) in which `group` trains: the learning-rate schedule
        decays over it (latent diffusion's autoencoder stage ends before the budget does)."""
        return 0.0, 1.0

    def forward(self, group: str, batch: torch.Tensor, state: TrainState,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Loss terms for one update of `group`; 'loss' (scalar) is backpropagated, the rest are logged. `labels`
        [B]: the batch's classes for a conditional model, else None."""
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

    def log_likelihood(self, x: torch.Tensor, generator: torch.Generator | None = None,
                       labels: torch.Tensor | None = None) -> torch.Tensor:
        """A bound on -log P(x) of the discrete data in bits/dim, per example [B] (conditional models given the
        labels [B] of x: on -log P(x|y)); NotAvailable if undefined."""
        raise NotAvailable(f"{self.family}: likelihood is not defined for this family")

    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise NotAvailable(f"{self.family}: this family has no encoder")

    def decode(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise NotAvailable(f"{self.family}: this family has no decoder")

    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """decode(encode(x)); a conditional model is told the labels [B] of x (diffusion uses the null class)."""
        given = {} if labels is None else {"labels": labels}  # families that take no labels still work
        return self.decode(self.encode(x, **given), **given)

    def interpolate(self, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8, mode: str = "slerp",
                    labels: tuple[int, int] | None = None) -> torch.Tensor:
        """Frames between two single examples [*shape] (latents [latent_dim] for GANs) -> [steps, *shape]; `labels`:
        the classes of the two ends, for a conditional VAE or GAN."""
        raise NotAvailable(f"{self.family}: this family has no interpolation")
