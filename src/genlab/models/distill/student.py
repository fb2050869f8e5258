"""The 'distilled' family: a few-step student of a trained DDPM or LDM run (the teacher).

The student has the teacher's shape: a copy of its DDPM (or its LDM, autoencoder and latent scale included), in
the plain VP formulation whatever the teacher's, whose network predicts v (Salimans & Ho 2022) or x0 and starts from
the teacher's weights; so a student run rebuilds, samples and resumes from its own folder alone. The teacher itself
is attached for training only (never saved in the student's checkpoints). `frozen` is a second copy of the network:
consistency distillation's EMA target theta- (Song et al. 2023), or progressive distillation's teacher of the
current round (Salimans & Ho 2022).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import torch

from genlab.data.dataset import DataInfo
from genlab.errors import ConfigError
from genlab.models.base import GenerativeModel, TrainState
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.models.diffusion.parameterization import make_denoiser
from genlab.models.distill.consistency import (
    consistency_denoiser,
    consistency_loss,
    karras_timesteps,
    update_target,
)
from genlab.models.distill.progressive import progressive_loss, round_schedule
from genlab.models.latent_diffusion import LDM, LDMConfig
from genlab.rng import Generator, randn
from genlab.samplers import get_sampler

METHODS = ("consistency", "progressive")
TEACHER_CONFIGS = {"ddpm": DDPMConfig, "ldm": LDMConfig}  # registry.DISTILLABLE: the families a student learns from


@dataclass
class DistilledConfig:
    """A student's method, its teacher (run folder and model table) and the method's knobs."""

    method: str = "consistency"  # "consistency" (Song et al. 2023) | "progressive" (Salimans & Ho 2022)
    teacher_run: str = ""  # the teacher's run folder, as `genlab distill` was given it
    teacher_family: str = "ddpm"  # "ddpm" | "ldm"
    teacher: DDPMConfig | LDMConfig | None = None  # the teacher's model table: the student has its shape (None:
    # the family's default table)
    prediction: str = "v"  # the student's output: "v" | "x0" (eps cannot give x0 in one step from pure noise)
    steps: int = 1  # default sampling steps = network evaluations (progressive: the last round's steps)
    steps_out: tuple[int, ...] = (1, 2, 4)  # the step counts compare evaluates
    levels: int = 18  # consistency: N, the Karras noise levels (Song et al. use 18 on CIFAR-10)
    rho: float = 7.0  # consistency: Karras et al.'s rho
    mu: float = 0.95  # consistency: EMA decay of the target network theta-
    sigma_data: float = 1.0  # consistency: c_skip/c_out's sigma_data (1: the VP preconditioning of a v-network)
    solver: str = "heun"  # consistency: the teacher's ODE step, "heun" | "euler"
    start_steps: int = 32  # progressive: the teacher's DDIM steps in the first round; halved each round


def _base_config(c: DistilledConfig):
    """The teacher's model table with the student's output, a simple loss, DDIM on trailing grids and no labels."""
    if c.teacher_family not in TEACHER_CONFIGS:
        raise ConfigError(f"distilled: the teacher must be one of {', '.join(TEACHER_CONFIGS)}, "
                          f"not '{c.teacher_family}'")
    teacher = TEACHER_CONFIGS[c.teacher_family]() if c.teacher is None else c.teacher  # None: the default shape
    if not isinstance(teacher, TEACHER_CONFIGS[c.teacher_family]):
        raise ConfigError(f"distilled: model.teacher must be the {c.teacher_family} teacher's model table "
                          "(students are made by `genlab distill RUN`)")
    if getattr(teacher, "conditional", False) or getattr(teacher, "diffusion", teacher).conditional:
        raise ConfigError("distilled: class-conditional teachers are not supported yet")

    def student(d: DDPMConfig) -> DDPMConfig:
        return replace(d, formulation="ddpm", prediction=c.prediction, loss="simple", min_snr_gamma=0.0,
                       sampler="ddim", spacing="trailing", eta=0.0, steps=c.steps, conditional=False, guidance=0.0)

    if c.teacher_family == "ddpm":
        return student(teacher)
    return replace(teacher, diffusion=student(teacher.diffusion))


class Distilled(GenerativeModel):
    """A consistency model or a progressively distilled DDIM student; samples in 1 to a few network evaluations."""

    family = "distilled"
    default_train = {"lr": 2e-4, "batch_size": 128, "betas": (0.9, 0.999), "warmup_steps": 20, "grad_clip": 1.0,
                     "ema_decay": 0.0}  # Salimans & Ho: no EMA of the student within a round

    def __init__(self, config: DistilledConfig, info: DataInfo):
        super().__init__(config, info)
        c = config
        if c.method not in METHODS:
            raise ConfigError(f"distilled: unknown method '{c.method}' (choose from {', '.join(METHODS)})")
        if c.prediction not in ("v", "x0"):
            raise ConfigError(f"distilled: students predict v or x0, not '{c.prediction}'")
        if c.solver not in ("heun", "euler"):
            raise ConfigError(f"distilled: unknown solver '{c.solver}' (heun or euler)")
        if not c.steps_out or min(c.steps_out) < 1 or c.steps < 1:
            raise ConfigError("distilled: steps and steps_out must be positive step counts")
        if not 0.0 <= c.mu < 1.0:
            raise ConfigError(f"distilled: mu must be in [0, 1), got {c.mu}")
        base_cfg = _base_config(c)
        self.base = DDPM(base_cfg, info) if c.teacher_family == "ddpm" else LDM(base_cfg, info)
        ab = self.diffusion.process.alpha_bar
        if c.method == "consistency":
            self.grid = karras_timesteps(ab, c.levels, c.rho)
            if max(c.steps_out + (c.steps,)) >= len(self.grid):
                raise ConfigError(f"distilled: a consistency model has {len(self.grid)} levels: at most "
                                  f"{len(self.grid) - 1} sampling steps")
        else:
            self.rounds = round_schedule(c.start_steps, min(c.steps_out))
        self.frozen = copy.deepcopy(self.diffusion.net)
        self.frozen.requires_grad_(False)
        self.register_buffer("round", torch.zeros((), dtype=torch.long))  # progressive: the round under way
        self.register_buffer("target_step", torch.zeros((), dtype=torch.long))  # consistency: theta- is of this step

    @property
    def diffusion(self) -> DDPM:
        """The DDPM whose network is the student (the LDM's latent one)."""
        return self.base if isinstance(self.base, DDPM) else self.base.diffusion

    # ---- the teacher ---------------------------------------------------------------------------
    @torch.no_grad()
    def init_from_teacher(self, teacher: GenerativeModel) -> list[str]:
        """Copy the teacher's weights (every tensor of the same name and shape; a learned-variance output layer
        is left fresh) into the student and its frozen copy; the names not copied."""
        own, theirs = self.base.state_dict(), teacher.state_dict()
        same = {k: v for k, v in theirs.items() if k in own and own[k].shape == v.shape}
        self.base.load_state_dict({**own, **same})
        self.frozen.load_state_dict(self.diffusion.net.state_dict())
        return sorted(set(own) - set(same))

    def attach_teacher(self, teacher: GenerativeModel) -> None:
        """The frozen teacher whose ODE the student learns (not a submodule: never saved with the student)."""
        if teacher.family != self.config.teacher_family:
            raise ConfigError(f"distilled: the teacher is a {teacher.family} run, not {self.config.teacher_family}")
        teacher.eval().requires_grad_(False)
        object.__setattr__(self, "_teacher", teacher)

    def _teacher_denoiser(self, device: torch.device):
        teacher = self.__dict__.get("_teacher")
        if teacher is None:
            raise ConfigError("distilled: no teacher attached (train students with `genlab distill`)")
        if teacher.device != device:
            teacher.to(device)
        return (teacher if isinstance(teacher, DDPM) else teacher.diffusion).denoiser()

    # ---- training ------------------------------------------------------------------------------
    def optimizer_groups(self) -> dict[str, dict]:
        return {"main": {"params": list(self.diffusion.net.parameters())}}

    def forward(self, group: str, batch: torch.Tensor, state: TrainState,
                labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """One distillation loss on the batch (an LDM student's: on the scaled latents of the batch)."""
        teacher = self._teacher_denoiser(batch.device)
        x0 = batch
        if isinstance(self.base, LDM):
            with torch.no_grad():
                x0 = self.base._latent_sample(batch) * self.base.scale_factor
        d, c = self.diffusion, self.config
        ab = d.process.alpha_bar
        if c.method == "consistency":
            if state.step > int(self.target_step):  # once per optimizer step (not per accumulated micro-batch)
                update_target(self.frozen, d.net, c.mu)
                self.target_step.fill_(state.step)
            student, target = (consistency_denoiser(net, ab, c.prediction, c.sigma_data)
                               for net in (d.net, self.frozen))
            return {"loss": consistency_loss(student, target, teacher, x0, self.grid, ab, c.solver)}
        k = min(int(state.progress * len(self.rounds)), len(self.rounds) - 1)
        if k > int(self.round):  # a new round: the student so far becomes the teacher
            self.frozen.load_state_dict(d.net.state_dict())
            self.round.fill_(k)
        if int(self.round) > 0:
            clip = d.config.clip_x0 and d.info.kind == "image"
            teacher = make_denoiser(self.frozen, ab, c.prediction, False, clip)
        loss = progressive_loss(d.net, teacher, x0, self.rounds[int(self.round)], d.process.T, ab, c.prediction)
        return {"loss": loss, "student_steps": torch.tensor(float(self.rounds[int(self.round)]))}

    # ---- sampling ------------------------------------------------------------------------------
    def sample_options(self) -> dict[str, object]:
        return {"steps": self.config.steps}

    def nfe(self, **options) -> int:
        """Student network evaluations, plus the decoder pass of an LDM student."""
        steps = int(options.get("steps") or self.config.steps)
        return steps + (1 if isinstance(self.base, LDM) else 0)

    def consistency_grid(self, steps: int) -> list[int]:
        """Alg. 1's decreasing timesteps: sigma_max, then levels evenly spaced along the Karras grid."""
        n = len(self.grid) - 1
        if not 1 <= steps <= n:
            raise ConfigError(f"distilled: a consistency model samples in 1 to {n} steps, not {steps}")
        return [self.grid[round(n * (1 - k / steps))] for k in range(steps)]

    @torch.no_grad()
    def sample(self, n: int, generator: Generator = None, callback=None, labels=None, **options) -> torch.Tensor:
        """n samples [n, *shape] in `steps` network evaluations (+ the decoder of an LDM student)."""
        unknown = sorted(set(options) - {"steps"})
        if unknown:
            raise ConfigError(f"distilled: unknown sampling option(s) {', '.join(unknown)} (its options: steps)")
        self.sample_labels(n, labels)
        steps = int(options.get("steps") or self.config.steps)
        d = self.diffusion
        if self.config.method == "consistency":
            x_T = randn((n, *d.info.shape), generator, self.device)
            f = consistency_denoiser(d.net, d.process.alpha_bar, self.config.prediction, self.config.sigma_data)
            x = get_sampler("consistency")(f, x_T, self.consistency_grid(steps), d.process.alpha_bar,
                                           generator=generator, callback=callback)
        else:
            x = d.sample_chain(n, generator, callback, steps=steps)
        if isinstance(self.base, LDM):
            return self.base.decode(x)
        return x.clamp(-1, 1) if self.info.kind == "image" else x
