"""The 'distilled' family's model, unit by unit: its EMA target moves once per optimizer step."""

from __future__ import annotations

import torch

from genlab.data.dataset import DataInfo
from genlab.models.base import TrainState
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.models.distill.student import Distilled, DistilledConfig


def test_target_moves_once_per_optimizer_step_whatever_the_micro_batches():
    """theta- <- mu theta- + (1 - mu) theta once per step: a second micro-batch of the same step (gradient
    accumulation) leaves it alone, and step 0 uses the initial copy."""
    torch.manual_seed(0)
    info = DataInfo("ring8", "points", (2,), None)
    teacher = DDPM(DDPMConfig(hidden=32, depth=1), info)
    student = Distilled(DistilledConfig(teacher=DDPMConfig(hidden=32, depth=1), mu=0.9), info)
    student.init_from_teacher(teacher)
    student.attach_teacher(teacher)
    x = torch.randn(16, 2)
    before = [p.clone() for p in student.frozen.parameters()]
    student("main", x, TrainState(0, 0.0))
    assert all(torch.equal(a, b) for a, b in zip(before, student.frozen.parameters(), strict=True))
    with torch.no_grad():
        for p in student.diffusion.net.parameters():
            p.add_(1.0)
    for _ in range(2):  # two micro-batches of step 1
        student("main", x, TrainState(1, 0.1))
    for old, new, theta in zip(before, student.frozen.parameters(), student.diffusion.net.parameters(), strict=True):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * theta)
