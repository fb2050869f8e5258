"""Progressive distillation (Salimans & Ho 2022) against the exact teacher of 1-D Gaussian data: after k rounds
the student's DDIM output equals the teacher's 2^k-step DDIM output from the same noise."""

from __future__ import annotations

import pytest
import torch
from distill_truth import ALPHA_BAR, AffineNet, data, fit, gaussian_teacher

from genlab.errors import ConfigError
from genlab.models.diffusion.parameterization import make_denoiser
from genlab.models.distill.progressive import progressive_loss, round_schedule
from genlab.samplers.ddim import sample_ddim
from genlab.samplers.timesteps import timestep_grid

T = len(ALPHA_BAR)


def ddim(denoiser, x_T: torch.Tensor, steps: int) -> torch.Tensor:
    return sample_ddim(denoiser, x_T, timestep_grid(T, steps, "trailing"), ALPHA_BAR)


def test_round_schedule_halves():
    assert round_schedule(32, 1) == [16, 8, 4, 2, 1]
    assert round_schedule(8, 2) == [4, 2]
    for bad in ((12, 1), (4, 4), (6, 4)):
        with pytest.raises(ConfigError):
            round_schedule(*bad)


@pytest.mark.parametrize("prediction", ["v", "x0"])
def test_students_match_the_teachers_ddim(prediction):
    """Two rounds from the exact 8-step teacher: the 4-step student matches the teacher's 8 steps, the 2-step
    student of that student matches them too (to 1% of the data's spread), where the teacher's own 2-step DDIM
    does not."""
    g = torch.Generator().manual_seed(0)
    teacher = gaussian_teacher()
    x_T = torch.randn(2000, 1, dtype=torch.float64, generator=g)
    reference = ddim(teacher, x_T, 8)
    current, start = teacher, 8
    for student_steps in round_schedule(8, 2):
        net = AffineNet()
        fit(lambda n=net, c=current, k=student_steps: progressive_loss(n, c, data(256, g), k, T, ALPHA_BAR,
                                                                       prediction),
            net.parameters(), 1500, 0.05)
        current = make_denoiser(net, ALPHA_BAR, prediction)
        out = ddim(current, x_T, student_steps)
        assert (out - reference).abs().max() < 0.01, (student_steps, float((out - reference).abs().max()))
        start = student_steps
    assert start == 2
    assert (ddim(teacher, x_T, 2) - reference).abs().max() > 0.05  # two teacher steps alone are far off
