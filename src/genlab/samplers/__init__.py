"""Samplers: plain functions over a denoiser callable, a timestep grid and alpha_bar."""

from genlab.samplers.ddim import sample_ddim
from genlab.samplers.ddpm import sample_ddpm
from genlab.samplers.dpm_solver import sample_dpm_solver
from genlab.samplers.sde_dpm_solver import sample_sde_dpm_solver
from genlab.samplers.timesteps import timestep_grid

SAMPLERS = {
    "ddpm": sample_ddpm,
    "ddim": sample_ddim,
    "dpm_solver": sample_dpm_solver,
    "sde_dpm_solver": sample_sde_dpm_solver,
}

__all__ = [
    "SAMPLERS",
    "sample_ddim",
    "sample_ddpm",
    "sample_dpm_solver",
    "sample_sde_dpm_solver",
    "timestep_grid",
]
