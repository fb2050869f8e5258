"""What the speed work of issue 21 must leave alone: the U-Net trains in the channels-last memory format (faster on
CPU) and computes the same function there, while sampling (eval mode) keeps the NCHW computation bit for bit, so a
run's samples for a seed do not change; and samples are a function of the seed alone at a given batch size."""

from __future__ import annotations

import pytest
import torch

from genlab.data.dataset import DataInfo
from genlab.evaluation.generate import generate
from genlab.models.diffusion.model import DDPM, DDPMConfig

MNIST = DataInfo("mnist", "image", (1, 28, 28), 256)


def _default_28x28(seed: int) -> DDPM:
    """The 28x28 default DDPM (the network `genlab train ddpm --data mnist` builds) with random weights scaled so
    that every layer, the zero-initialised output ones included, changes the answer."""
    model = DDPM(DDPMConfig(), MNIST).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 / max(1, p[0].numel()) ** 0.5))
    return model


def test_training_runs_channels_last_and_computes_the_nchw_function():
    net = _default_28x28(1).net
    x, t = torch.randn(5, 1, 28, 28, generator=torch.Generator().manual_seed(2)), torch.tensor([0, 10, 300, 700, 999])
    seen = []
    hook = net.down[0].res.conv1.register_forward_hook(lambda m, i, o: seen.append(o.is_contiguous(
        memory_format=torch.channels_last) and not o.is_contiguous()))
    with torch.no_grad():
        sampling = net.eval()(x, t)
        training = net.train()(x, t)
        net.train_memory_format = torch.contiguous_format
        nchw_training = net(x, t)
    hook.remove()
    assert seen == [False, True, False]  # eval: NCHW; train: NHWC unless told otherwise
    assert training.is_contiguous() and sampling.abs().max() > 0.1
    assert torch.equal(nchw_training, sampling)  # eval mode is the plain NCHW computation, bit for bit
    # NHWC: the same sums in another order, equal to float32 rounding and not bit for bit
    torch.testing.assert_close(training, sampling, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("options", [{}, {"sampler": "ddim", "steps": 8}], ids=["default-sampler", "ddim"])
def test_samples_depend_on_the_seed_alone_at_a_batch_size(options):
    model = _default_28x28(0)
    whole = generate(model, 6, seed=3, batch_size=3, **options)
    assert torch.equal(generate(model, 6, seed=3, batch_size=3, **options), whole)
    assert torch.equal(generate(model, 3, seed=3, batch_size=3, **options), whole[:3])  # n does not matter
    assert not torch.equal(generate(model, 6, seed=4, batch_size=3, **options), whole)  # the seed does
    model.net.train()  # what training's NHWC kernels would draw: the same images up to float rounding
    torch.testing.assert_close(generate(model, 6, seed=3, batch_size=3, **options), whole, atol=1e-3, rtol=0)
