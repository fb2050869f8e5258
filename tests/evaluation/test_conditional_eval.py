"""Class accuracy of conditional samples: a model that draws exactly the class asked for scores 1, one that ignores
the label scores chance; labels reach the model image by image as generate() keys them."""

from dataclasses import dataclass

import pytest
import torch
from torch import nn

from genlab.data import load_dataset
from genlab.evaluation.conditional import conditional_metrics
from genlab.evaluation.generate import generate
from genlab.metrics.classes import class_accuracy
from genlab.models.base import GenerativeModel


@dataclass
class StubConfig:
    conditional: bool = True
    obey: bool = True  # draw the asked class, or ignore the label


class Stub(GenerativeModel):
    """Draws points around the ring8 mode of each requested label (or of a random one)."""

    family = "stub"

    def __init__(self, config, info, modes):
        super().__init__(config, info)
        self.dummy = nn.Parameter(torch.zeros(()))
        self.modes = (modes - torch.tensor(info.offset)) / info.scale  # in data space
        self.seen = []

    def sample(self, n, generator=None, labels=None, **options):
        y = self.sample_labels(n, labels).cpu()
        self.seen.append(y)
        if not self.config.obey:
            y = torch.randint(0, 8, (n,), generator=torch.Generator().manual_seed(n))
        return self.modes[y] + 0.001 * torch.randn(n, 2)


@pytest.fixture(scope="module")
def ring8():
    return load_dataset("ring8")


def test_class_accuracy_counts_hits_overall_and_per_class():
    acc = class_accuracy(torch.tensor([0, 1, 1, 2, 0]), torch.tensor([0, 1, 2, 2, 1]), 4)
    assert acc["accuracy"] == pytest.approx(3 / 5) and acc["n"] == 5
    assert acc["per_class"] == [1.0, 0.5, 0.5, None]
    assert acc["accuracy_se"] == pytest.approx((0.6 * 0.4 / 5) ** 0.5)


def test_a_model_that_obeys_the_label_scores_one_and_one_that_ignores_it_scores_chance(ring8):
    good = Stub(StubConfig(), ring8.info, ring8.modes)
    samples = generate(good, 400, seed=0, batch_size=64)
    assert torch.equal(torch.cat(good.seen), torch.arange(400) % 8)  # the even split, image by image
    rec = conditional_metrics(good, ring8, None, samples)
    assert rec["class_accuracy"] == 1.0 and rec["per_class"] == [1.0] * 8
    bad = Stub(StubConfig(obey=False), ring8.info, ring8.modes)
    rec = conditional_metrics(bad, ring8, None, generate(bad, 400, seed=0, batch_size=400))
    assert abs(rec["class_accuracy"] - 1 / 8) < 4 * (1 / 8 * 7 / 8 / 400) ** 0.5
    plain = Stub(StubConfig(conditional=False), ring8.info, ring8.modes)
    assert conditional_metrics(plain, ring8, None, samples)["available"] is False
