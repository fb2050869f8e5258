"""DDPM (Ho et al. 2020) as a genlab family: a network, the Gaussian diffusion process and the samplers."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.base import GenerativeModel, TrainState
from genlab.models.diffusion import edm
from genlab.models.diffusion.parameterization import PREDICTIONS, make_denoiser
from genlab.models.diffusion.process import GaussianDiffusion
from genlab.models.diffusion.schedule import Schedule
from genlab.rng import Generator, randn
from genlab.samplers import get_sampler, option_defaults, timestep_grid
from genlab.samplers.base import Denoiser
from genlab.samplers.ddim import sample_ddim
from genlab.samplers.ddim_inversion import ddim_invert
from genlab.samplers.ddim_inversion import interpolate as interpolate_by_inversion
from genlab.samplers.timesteps import SPACINGS


@dataclass
class DDPMConfig:
    """Hyperparameters of a DDPM; network knobs left None are chosen from the data shape."""

    T: int = 1000  # diffusion steps
    # "ddpm" (Ho et al.: discrete t, the loss of `loss`/`prediction`) | "edm" (Karras et al. 2022: continuous sigma,
    # preconditioned network, log-normal sigmas; edm.py). An EDM model samples with every sampler on the VP grid of
    # `schedule` and has no discrete-time variational bound.
    formulation: str = "ddpm"
    schedule: str = "linear"  # "linear" (Ho et al.) | "cosine" (Nichol & Dhariwal)
    prediction: str = "eps"  # "eps" | "x0" | "v"
    loss: str = (
        "simple"  # "simple" | "vlb" | "hybrid"; vlb and hybrid learn the variance (2x output channels)
    )
    variance: str = "fixed_small"  # reverse variance when not learned: "fixed_small" | "fixed_large"
    vlb_weight: float = 0.001  # lambda of the hybrid loss
    min_snr_gamma: float = 0.0  # Min-SNR-gamma weighting of L_simple (Hang et al. 2023 use 5); 0 = off
    channels: int | None = None  # U-Net base channels
    channel_mults: tuple[int, ...] | None = None  # one per level; 2x downsampling between levels
    blocks_per_level: int | tuple[int, ...] | None = None  # one count, or one per level
    attn_levels: int = 1  # self-attention at this many of the lowest levels (and always in the middle)
    dropout: float = 0.0
    hidden: int = 128  # MLP denoiser width (points)
    depth: int = 4  # MLP denoiser residual blocks (points)
    octaves: int = 0  # MLP denoiser (points): Fourier features of x at 2^k pi, k < octaves (0 = x alone)
    # Default sampler: "ddpm" | "ddim" | "dpm_solver" | "sde_dpm_solver". The stochastic SDE-DPM-Solver++(2M) at
    # 20 steps matched 1000-step ancestral sampling (FD 3.20 vs 3.33) where the ODE samplers lagged far behind on
    # short-budget networks (DDIM-50 27.9, DPM-Solver++ 20 21.6; benchmarks/results/samplers.md). DDIM stays the
    # deterministic choice for inversion and editing.
    sampler: str = "sde_dpm_solver"
    steps: int = 20  # default sampling steps
    eta: float = 0.0  # DDIM eta
    spacing: str = "trailing"  # timestep grid: "leading" | "trailing" | "linspace"
    clip_x0: bool = True  # clamp predicted x0 to [-1, 1] while sampling
    conditional: bool = False  # class-conditional: a label embedding added to the time embedding
    label_dropout: float = 0.1  # training labels replaced by the null class (Ho & Salimans 2022 use 0.1-0.2)
    guidance: float = 0.0  # default classifier-free guidance weight w when sampling (0: plain conditional)


def unet_size(shape: tuple[int, ...]) -> tuple[int, tuple[int, ...], int]:
    """Default (channels, channel_mults, blocks_per_level) for an image shape (C, H, W)."""
    side = min(shape[1], shape[2])
    if side <= 8:
        return 24, (1, 2), 1  # ~0.4M parameters for 8x8 digits
    if side < 28:
        return 32, (1, 2, 2), 1
    if side < 32:
        # 28x28: widths 12/24/48/84 at 28/14/7/4 pixels, 1.27M parameters. Width at low resolution is cheap (a conv
        # costs H*W*C^2 and holds C^2 parameters): 2.7x the training steps per second of a (32, (1,2,2)) U-Net, and
        # FD 29.8 after 600 s on a 2-core CPU (benchmarks/results/diffusion_quality.md), where the former default
        # (64, (1,2,2), 2 blocks, 6.5M) trains several times fewer steps. Bigger budgets: --set model.channels=32.
        return 12, (1, 2, 4, 7), 1
    return 64, (1, 2, 2, 2), 2  # ~9M for 32x32


class DDPM(GenerativeModel):
    """Denoising diffusion probabilistic model; samples with DDPM, DDIM or DPM-Solver++(2M)."""

    family = "ddpm"
    null_class = True  # label dropout trains the null class: one network, conditional and unconditional
    default_train = {
        # Ho et al. use 2e-4 on CIFAR-10; on short CPU budgets with genlab's small U-Nets 1e-3 (with warm-up and
        # clipping) gave visibly cleaner digits after 800 steps. Large runs: --set train.lr=2e-4.
        "lr": 1e-3,
        "batch_size": 128,
        "betas": (0.9, 0.999),
        "warmup_steps": 100,
        "grad_clip": 1.0,
        "ema_decay": 0.999,
    }

    @staticmethod
    def profile_yields(upper: dict) -> tuple[str, ...]:
        """The defaults-table keys (models/defaults.py) that model settings from a TOML file, --set or flags make
        inapplicable: EDM has its own target and weighting, so the image profile's v-prediction yields to it."""
        return ("prediction", "loss", "min_snr_gamma") if upper.get("formulation") == "edm" else ()

    def __init__(self, config: DDPMConfig, info: DataInfo):
        super().__init__(config, info)
        c = config
        get_sampler(c.sampler)
        for name, value, choices in (("prediction", c.prediction, PREDICTIONS), ("spacing", c.spacing, SPACINGS)):
            if value not in choices:
                raise ConfigError(f"unknown {name} '{value}' (choose from {', '.join(choices)})")
        learned = c.loss in ("vlb", "hybrid")
        variance = "learned_range" if learned else c.variance
        if variance not in ("fixed_small", "fixed_large", "learned_range"):
            raise ConfigError(f"unknown variance '{c.variance}' (choose fixed_small or fixed_large)")
        if c.formulation not in ("ddpm", "edm"):
            raise ConfigError(f"unknown formulation '{c.formulation}' (choose ddpm or edm)")
        if c.formulation == "edm" and (c.loss != "simple" or c.prediction != "eps" or c.min_snr_gamma):
            raise ConfigError("formulation edm has its own loss, target and weighting (Karras et al. eq. 8): leave "
                              "model.loss, model.prediction and model.min_snr_gamma at their defaults")
        if c.min_snr_gamma < 0:
            raise ConfigError(f"model.min_snr_gamma must be >= 0 (0 = off), got {c.min_snr_gamma}")
        if not 0.0 <= c.label_dropout < 1.0:
            raise ConfigError(f"model.label_dropout must be in [0, 1), got {c.label_dropout}")
        k = info.num_classes if c.conditional else None
        self.process = GaussianDiffusion(
            Schedule.named(c.schedule, c.T), c.prediction, variance, c.loss, c.vlb_weight, c.min_snr_gamma
        )
        if info.kind == "image":
            from genlab.nn.unet import UNet

            ch, mults, blocks = unet_size(info.shape)
            C = info.shape[0]
            self.net = UNet(
                C,
                C * (2 if learned else 1),
                c.channels or ch,
                tuple(c.channel_mults or mults),
                c.blocks_per_level or blocks,
                c.attn_levels,
                c.dropout,
                k,
            )
        elif info.kind == "points":
            from genlab.nn.mlp_denoiser import MLPDenoiser

            D = info.shape[0]
            self.net = MLPDenoiser(D, D * (2 if learned else 1), c.hidden, c.depth, octaves=c.octaves,
                                   num_classes=k)
        else:
            raise ConfigError(f"ddpm: unsupported data kind '{info.kind}'")

    # ---- training --------------------------------------------------------------------------
    def forward(self, group: str, batch: torch.Tensor, state: TrainState,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Ho et al. Algorithm 1: t ~ U{0..T-1}, eps ~ N(0, I), the configured loss at x_t. A conditional model
        sees each label replaced by the null class with probability label_dropout (Ho & Salimans 2022, Alg. 1)."""
        t = torch.randint(0, self.process.T, (batch.shape[0],), device=batch.device)
        noise = torch.randn_like(batch)
        if self.conditional:
            drop = torch.rand(batch.shape[0], device=batch.device) < self.config.label_dropout
            labels = torch.where(drop, torch.full_like(labels, self.info.num_classes), labels)
        if self.config.formulation == "edm":  # Karras et al. eq. 8 at ln(sigma) ~ N(P_mean, P_std^2)
            loss = edm.edm_loss(self._net(labels), batch, edm.training_sigmas(len(batch), batch.device), noise)
            return {"loss": loss.mean()}
        terms = self.process.training_losses(self._net(labels), batch, t, noise, levels=self._levels())
        return {k: v.mean() for k, v in terms.items()}

    def _levels(self) -> int | None:
        return self.info.levels if self.info.kind == "image" else None

    def _net(self, labels: torch.Tensor | None):
        """The network as the process calls it, (x_t, t) -> output; a conditional one told `labels` [B] (None:
        the null class), repeated for the bound's batches of whole repeats of x (t-major). The process never
        sees labels."""
        if not self.conditional:
            if labels is not None:
                raise ConfigError(f"{self.family}: labels given to an unconditional model")
            return self.net

        def net(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            y = labels if labels is None or len(labels) == len(x_t) else labels.repeat(len(x_t) // len(labels))
            return self.net(x_t, t, y)

        return net

    # ---- sampling --------------------------------------------------------------------------
    def denoiser(self, clip_x0: bool | None = None, labels: torch.Tensor | None = None,
                 guidance: float = 0.0) -> Denoiser:
        """The network as a denoiser (x_t, t) -> Denoised(eps, x0, var_frac), for samplers and edits. A conditional
        model's is told `labels` [B] (None or -1: the null class) and guided with weight `guidance`."""
        clip = self.config.clip_x0 and self.info.kind == "image" if clip_x0 is None else clip_x0
        null = self.info.num_classes if self.conditional else None
        if self.config.formulation == "edm":
            return edm.make_edm_denoiser(self.net, self.process.alpha_bar, clip, labels, float(guidance), null)
        return make_denoiser(self.net, self.process.alpha_bar, self.config.prediction,
                             self.process.learned_variance, clip, labels, float(guidance), null)

    def sample_options(self) -> dict[str, object]:
        """sampler, steps, spacing, every option a registered sampler declares (config values first: model.eta
        for DDIM's eta, the process's reverse variance for ancestral sampling), and guidance when conditional."""
        c = self.config
        own = {"eta": c.eta, "variance": self.process.variance}
        declared = {k: own.get(k, default) for k, default in option_defaults().items()}
        guided = {"guidance": c.guidance} if self.conditional else {}
        return {"sampler": c.sampler, "steps": c.steps, "spacing": c.spacing, **declared, **guided}

    def nfe(self, **options) -> int:
        """Network evaluations per sample; guidance (w != 0) evaluates the network twice per step."""
        o = self._options(options)
        return get_sampler(str(o["sampler"])).nfe(int(o["steps"])) * (2 if o.get("guidance") else 1)

    def _options(self, given: dict) -> dict:
        defaults = self.sample_options()
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ConfigError(f"{self.family}: unknown sampling option(s) {', '.join(unknown)} "
                              f"(its options: {', '.join(defaults)})")
        return {**defaults, **{k: v for k, v in given.items() if v is not None}}

    def sampling_grid(self, steps: int | None = None, spacing: str | None = None) -> list[int]:
        """The decreasing timestep grid of `steps` points (default: the model's) that samplers walk."""
        return timestep_grid(self.process.T, int(steps or self.config.steps), spacing or self.config.spacing)

    @torch.no_grad()
    def sample_chain(self, n: int, generator: Generator = None, callback=None, labels=None,
                     **options) -> torch.Tensor:
        """Unclamped x_0 [n, *shape]: x_T ~ N(0, I), then the chosen sampler over its grid. The one diffusion
        sampling path: latent diffusion calls it on its latent model. `labels` [n] (conditional models; -1 is
        the null class, default the even split) reach the sampler through the denoiser, as the guidance does."""
        o = self._options(options)
        y = self.sample_labels(n, labels)
        denoiser = self.denoiser(labels=y, guidance=float(o.pop("guidance", 0.0)))
        sampler = get_sampler(str(o.pop("sampler")))
        x_T = randn((n, *self.info.shape), generator, self.device)
        grid = self.sampling_grid(int(o.pop("steps")), str(o.pop("spacing")))
        return sampler(denoiser, x_T, grid, self.process.alpha_bar, generator=generator, callback=callback, **o)

    @torch.no_grad()
    def sample(self, n: int, generator: Generator = None, callback=None, labels=None, **options) -> torch.Tensor:
        """n samples [n, *shape] (images clamped to [-1, 1]); options as in sample_options()."""
        x = self.sample_chain(n, generator, callback, labels, **options)
        return x.clamp(-1, 1) if self.info.kind == "image" else x

    # ---- DDIM inversion ------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, x: torch.Tensor, steps: int | None = None, labels=None) -> torch.Tensor:
        """DDIM inversion x_0 -> x_T (deterministic ODE, Song et al. 2021) on the default grid (a conditional
        model inverts with its null class: `labels` is accepted and not used)."""
        return ddim_invert(self.denoiser(clip_x0=False), self.process.alpha_bar, x, self.sampling_grid(steps))

    @torch.no_grad()
    def decode(self, z: torch.Tensor, steps: int | None = None, labels=None) -> torch.Tensor:
        """DDIM (eta = 0) from x_T = z: the inverse of encode up to discretization error (null class)."""
        return sample_ddim(self.denoiser(clip_x0=False), z, self.sampling_grid(steps), self.process.alpha_bar)

    @torch.no_grad()
    def interpolate(
        self, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 8, mode: str = "slerp", labels=None
    ) -> torch.Tensor:
        """Frames [steps, *shape] decoded from slerp of the two examples' DDIM-inverted noises (null class)."""
        if mode != "slerp":
            raise ConfigError(f"{self.family} interpolates by 'slerp' of inverted noises, not '{mode}'")
        shape = self.info.shape
        return interpolate_by_inversion(
            self.denoiser(clip_x0=False),
            self.process.alpha_bar,
            x_a.reshape(1, *shape),
            x_b.reshape(1, *shape),
            self.sampling_grid(),
            steps,
        )

    # ---- likelihood ------------------------------------------------------------------------
    @torch.no_grad()
    def vlb_terms(
        self, x: torch.Tensor, generator: torch.Generator | None = None, t_subset: int | None = None,
        labels: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Per-step terms of the bound in bits/dim: 'terms' [B, T], 'prior' [B], 'total' [B] (see process). With
        the labels [B] of x, a conditional model's bound is on -log p(x|y); without, on -log p(x) (null class)."""
        if self.config.formulation == "edm":
            null = self.info.num_classes if self.conditional else None
            eps_net = edm.vp_eps_net(self.net, self.process.alpha_bar, labels, null)
            return self.process.vlb_terms(eps_net, x, self._levels(), generator, t_subset)
        return self.process.vlb_terms(self._net(labels), x, self._levels(), generator, t_subset)

    def log_likelihood(
        self, x: torch.Tensor, generator: torch.Generator | None = None, t_subset: int | None = None,
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Ho et al. eq. 5 in bits/dim [B]: discretized L_0 on info.levels, all T-1 KL terms, prior L_T; given
        labels (conditional models), the same bound on -log p(x|y).

        For continuous (points) data the decoder is a Gaussian density: this bounds -log p(x) per dim instead.
        """
        return self.vlb_terms(x, generator, t_subset, labels)["total"]
