"""Samplers: plain functions over a denoiser callable, a timestep grid and alpha_bar.

Adding a sampler: one new file with its function and a `SAMPLER = Sampler(...)` record declaring its options,
plus one line in REGISTERED below. Models, edits, the metric suite and the command line read names, options
and costs from this registry only.
"""

from genlab.errors import ConfigError
from genlab.samplers import ddim, ddpm, dpm_solver, heun, sde_dpm_solver
from genlab.samplers.base import Denoised, Denoiser, Sampler
from genlab.samplers.ddim import sample_ddim
from genlab.samplers.ddpm import sample_ddpm
from genlab.samplers.dpm_solver import sample_dpm_solver
from genlab.samplers.sde_dpm_solver import sample_sde_dpm_solver
from genlab.samplers.timesteps import timestep_grid

REGISTERED = (
    ddpm.SAMPLER,
    ddim.SAMPLER,
    dpm_solver.SAMPLER,
    sde_dpm_solver.SAMPLER,
    heun.SAMPLER,
)
SAMPLERS: dict[str, Sampler] = {s.name: s for s in REGISTERED}


def get_sampler(name: str) -> Sampler:
    """The sampler registered under `name`, or a ConfigError listing the choices (the one place names are checked)."""
    if name not in SAMPLERS:
        raise ConfigError(f"unknown sampler '{name}' (choose from {', '.join(SAMPLERS)})")
    return SAMPLERS[name]


def option_defaults() -> dict[str, object]:
    """Every option any registered sampler declares, with its default."""
    out: dict[str, object] = {}
    for s in SAMPLERS.values():
        out.update(s.options)
    return out


__all__ = [
    "SAMPLERS",
    "Denoised",
    "Denoiser",
    "Sampler",
    "get_sampler",
    "option_defaults",
    "sample_ddim",
    "sample_ddpm",
    "sample_dpm_solver",
    "sample_sde_dpm_solver",
    "timestep_grid",
]
