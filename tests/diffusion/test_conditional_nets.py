"""Conditional diffusion networks: the label embedding is added to the time embedding, and nothing else changes;
the conditional DDPM drops labels to the null class at the configured rate."""

import pytest
import torch

from genlab.data.dataset import DataInfo
from genlab.models.base import TrainState
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.nn.mlp_denoiser import MLPDenoiser
from genlab.nn.unet import UNet


def _nets(kind: str):
    torch.manual_seed(0)
    if kind == "unet":
        make = lambda k: UNet(1, 1, 8, (1, 2), 1, 1, 0.0, k)  # noqa: E731
        x = torch.randn(3, 1, 8, 8)
    else:
        make = lambda k: MLPDenoiser(2, 2, 32, 2, num_classes=k)  # noqa: E731
        x = torch.randn(3, 2)
    cond, plain = make(4), make(None)
    plain.load_state_dict({k: v for k, v in cond.state_dict().items() if not k.startswith("label_emb")})
    return cond, plain, x


@pytest.mark.parametrize("kind", ["unet", "mlp"])
def test_the_label_embedding_is_added_to_the_time_embedding(kind):
    cond, plain, x = _nets(kind)
    for p in (cond, plain):  # break the zero init of the output layers, so the output depends on the embedding
        for q in p.parameters():
            q.data.add_(0.01 * torch.ones_like(q))
    t, y = torch.tensor([5, 500, 999]), torch.tensor([0, 3, 4])  # 4: the null class
    table = cond.label_emb.table.weight
    bias = plain.time_mlp[-1].bias
    with torch.no_grad():
        original = bias.clone()
        bias.add_(table[0])  # a class's embedding acts as a shift of the time embedding
        torch.testing.assert_close(cond(x, t, torch.zeros(3, dtype=torch.long)), plain(x, t), atol=1e-5, rtol=1e-4)
        bias.copy_(original)
        table.zero_()  # with a zero embedding every label gives the unconditional network
        torch.testing.assert_close(cond(x, t, y), plain(x, t), atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(cond(x, t), cond(x, t, torch.full((3,), 4)))  # no labels: the null class


def test_label_dropout_rate_and_the_bound_sees_each_example_with_its_label():
    info = DataInfo("pts", "points", (2,), None, num_classes=3)
    model = DDPM(DDPMConfig(conditional=True, label_dropout=0.25, hidden=16, depth=1), info)
    seen = []
    real = model.net.forward
    model.net.forward = lambda x, t, y=None: seen.append(y.clone()) or real(x, t, y)
    torch.manual_seed(0)
    model("main", torch.randn(4000, 2), TrainState(0, 0.0), torch.zeros(4000, dtype=torch.long))
    null_share = (seen[0] == 3).float().mean().item()
    assert abs(null_share - 0.25) < 0.03 and set(seen[0].tolist()) == {0, 3}
    seen.clear()
    x, y = torch.randn(5, 2), torch.tensor([0, 1, 2, 1, 0])
    model.vlb_terms(x, torch.Generator().manual_seed(0), t_subset=3, labels=y)
    assert all(torch.equal(s, y.repeat(len(s) // 5)) for s in seen)  # the bound's t-major repeats of the batch


def test_edits_take_labels_and_guidance_through_the_denoiser():
    from genlab.edit.tasks import img2img_images, inpaint_images

    torch.manual_seed(0)
    info = DataInfo("digits", "image", (1, 8, 8), 17, num_classes=10)
    model = DDPM(DDPMConfig(conditional=True, channels=8, steps=4), info).eval()
    with torch.no_grad():  # untrained nets start with zero outputs: make the label matter
        for p in model.net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    x, mask = torch.rand(2, 1, 8, 8) * 2 - 1, torch.ones(2, 1, 8, 8)
    mask[..., 2:6, 2:6] = 0
    y = torch.tensor([3, 7])
    runs = [img2img_images(model, x, 0.5, torch.Generator().manual_seed(0), labels=lab, guidance=w)
            for lab, w in ((None, 0.0), (y, 0.0), (y, 2.0))]
    assert not torch.allclose(runs[0], runs[1]) and not torch.allclose(runs[1], runs[2])
    out = inpaint_images(model, x, mask, torch.Generator().manual_seed(0), jump_length=2, resample=2, labels=y,
                         guidance=1.0)
    torch.testing.assert_close(out * mask, x * mask)  # the kept pixels stay
