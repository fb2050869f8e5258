"""The DDPM family: network shapes and purity, a training step, sampling, and the likelihood bound."""

from __future__ import annotations

import pytest
import torch

from genlab.data.dataset import DataInfo
from genlab.edit.tasks import apply_edit
from genlab.models.base import TrainState
from genlab.models.diffusion.model import DDPM, DDPMConfig
from genlab.nn.mlp_denoiser import MLPDenoiser
from genlab.nn.unet import UNet

SMALL = {"channels": 16, "channel_mults": (1, 2), "blocks_per_level": 1}


def _randomize(net: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights everywhere (the zero-initialised output layers would make any output test trivial)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return net


@pytest.mark.parametrize(
    "shape,kw",
    [
        ((1, 8, 8), {}),
        ((1, 28, 28), SMALL),
        ((3, 32, 32), SMALL),
        ((3, 10, 14), {"channels": 16, "channel_mults": (1, 2, 2), "blocks_per_level": 1}),
        ((1, 28, 28), {"channels": 8, "channel_mults": (1, 2, 4, 7), "blocks_per_level": (1, 1, 1, 2)}),
        ((3, 11, 14), {"channels": 8, "channel_mults": (1, 2, 2, 2), "blocks_per_level": (2, 1, 1, 1)}),
    ],
)
def test_unet_shapes_any_size(shape, kw):
    net = UNet(
        shape[0],
        2 * shape[0],
        kw.get("channels", 24),
        kw.get("channel_mults", (1, 2)),
        kw.get("blocks_per_level", 1),
    )
    out = net(torch.randn(3, *shape), torch.tensor([0, 500, 999]))
    assert out.shape == (3, 2 * shape[0], *shape[1:])


def test_unet_blocks_per_level_one_count_or_one_per_level():
    same = [sum(p.numel() for p in UNet(1, 1, 8, (1, 2, 4), b).parameters()) for b in (2, (2, 2, 2))]
    assert same[0] == same[1]
    # one more block at the lowest level: a down ResBlock (64->64) and an up ResBlock (128->64) with its 1x1 skip
    ch, emb = 32, 32
    res = lambda i, o: (i * o * 9 + o) + (o * o * 9 + o) + (emb * 2 * o + 2 * o) + 2 * i + 2 * o + (  # noqa: E731
        (i * o + o) if i != o else 0)
    attn = lambda c: 2 * c + 3 * c * c + 3 * c + c * c + c  # noqa: E731
    more = sum(p.numel() for p in UNet(1, 1, 8, (1, 2, 4), (2, 2, 3)).parameters())
    assert more - same[0] == res(ch, ch) + attn(ch) + res(2 * ch, ch) + attn(ch)
    with pytest.raises(ValueError, match="one count >= 1 per level"):
        UNet(1, 1, 8, (1, 2, 4), (1, 2))


@pytest.mark.parametrize("family,table", [("ddpm", "model"), ("ldm", "model.diffusion")])
def test_blocks_per_level_per_level_through_set_and_json(family, table):
    """LDMConfig nests the DDPM's config: the same key under model.diffusion, through --set and JSON."""
    import json

    from genlab.config import build_config, config_from_json, parse_set
    from genlab.models.registry import get_family

    def ddpm_part(cfg):
        return cfg.model.diffusion if family == "ldm" else cfg.model

    model_cls, cfg_cls = get_family(family)
    cfg = build_config(family, model_cls, cfg_cls, sets=parse_set([f"{table}.blocks_per_level=1,2"]),
                       cli={"data": {"name": "digits"}})
    assert ddpm_part(cfg).blocks_per_level == (1, 2)
    assert ddpm_part(config_from_json(json.loads(json.dumps(cfg.to_json())))).blocks_per_level == (1, 2)
    model_cls(cfg.model, DataInfo("digits", "image", (1, 8, 8), 17))  # two levels on 8x8: one count each
    one = build_config(family, model_cls, cfg_cls, sets=parse_set([f"{table}.blocks_per_level=2"]),
                       cli={"data": {"name": "digits"}})
    assert ddpm_part(one).blocks_per_level == 2


def test_default_unet_for_digits_is_small():
    model = DDPM(DDPMConfig(), DataInfo("digits", "image", (1, 8, 8), 17))
    n = sum(p.numel() for p in model.parameters())
    assert 300_000 <= n <= 600_000


def test_default_unet_for_28x28_is_bottom_heavy():
    # widths 12/24/48/84 at 28/14/7/4 pixels: the layout benchmarks 1 and 2 measured (1,271,161 parameters)
    model = DDPM(DDPMConfig(), DataInfo("mnist", "image", (1, 28, 28), 256))
    assert sum(p.numel() for p in model.net.parameters()) == 1_271_161
    assert model.net(torch.randn(2, 1, 28, 28), torch.tensor([1, 999])).shape == (2, 1, 28, 28)


def test_attention_heads_split_the_channels_and_any_width_trains():
    """A width whose attention channels ch // 32 does not divide crashed mid-training (model.channels=16 at 28x28:
    112 channels, 3 heads): the head count now divides ch, and is the former one wherever that divided."""
    from genlab.nn.unet import Attention

    for ch in range(1, 300):
        h = Attention(ch).heads
        assert ch % h == 0 and 1 <= h <= max(1, ch // 32)
        if ch % max(1, ch // 32) == 0:
            assert h == max(1, ch // 32)
    assert [Attention(c).heads for c in (48, 84, 112, 128)] == [1, 2, 2, 4]
    for width in (8, 16, 20):
        model = DDPM(DDPMConfig(channels=width), DataInfo("mnist", "image", (1, 28, 28), 256))
        x = torch.rand(2, 1, 28, 28) * 2 - 1
        loss = model("main", x, TrainState(0, 0.0))["loss"]
        assert torch.isfinite(loss)


def test_unet_output_depends_only_on_own_x_and_t():
    net = _randomize(UNet(3, 3, 16, (1, 2), 1)).eval()
    g = torch.Generator().manual_seed(1)
    x, t = torch.randn(4, 3, 8, 8, generator=g), torch.tensor([3, 100, 700, 999])
    full = net(x, t)
    for i in range(4):  # no batch statistics: each example alone gives the same answer
        torch.testing.assert_close(net(x[i : i + 1], t[i : i + 1]), full[i : i + 1], atol=1e-5, rtol=1e-4)
    perm = torch.tensor([2, 0, 3, 1])
    torch.testing.assert_close(net(x[perm], t[perm]), full[perm], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(net(x.to(memory_format=torch.channels_last), t), full, atol=1e-5, rtol=1e-4)
    assert (net(x, t.flip(0)) - full).abs().max() > 1e-3  # t matters


def test_mlp_denoiser_purity_and_shape():
    net = _randomize(MLPDenoiser(2, 4, 32, 2))
    x, t = torch.randn(5, 2), torch.tensor([0, 1, 2, 500, 999])
    full = net(x, t)
    assert full.shape == (5, 4)
    torch.testing.assert_close(net(x[1:3], t[1:3]), full[1:3], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize(
    "shape,kind,levels,loss,prediction",
    [
        ((1, 8, 8), "image", 17, "simple", "eps"),
        ((3, 32, 32), "image", 256, "hybrid", "v"),
        ((1, 28, 28), "image", 256, "vlb", "x0"),
        ((2,), "points", None, "hybrid", "eps"),
    ],
)
def test_training_step_and_sampling(shape, kind, levels, loss, prediction):
    torch.manual_seed(0)
    info = DataInfo("toy", kind, shape, levels)
    model = DDPM(
        DDPMConfig(
            loss=loss,
            prediction=prediction,
            hidden=32,
            depth=2,
            **(SMALL if len(shape) > 1 and shape[1] > 8 else {}),
        ),
        info,
    )
    batch = torch.rand(4, *shape) * 2 - 1
    out = model("main", batch, TrainState(0, 0.0))
    assert set(out) >= {"loss", "mse"} and (("vlb" in out) == (loss != "simple"))
    assert all(torch.isfinite(v) and v.dim() == 0 for v in out.values())
    out["loss"].backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    for sampler in ("ddpm", "ddim", "dpm_solver", "sde_dpm_solver"):
        x = model.sample(2, torch.Generator().manual_seed(0), sampler=sampler, steps=3, eta=0.5)
        assert x.shape == (2, *shape) and torch.isfinite(x).all()
    assert model.nfe(steps=7) == 7 and model.sample_options()["sampler"] == "sde_dpm_solver"


def test_log_likelihood_is_finite_positive_and_the_sum_of_its_terms():
    info = DataInfo("digits", "image", (1, 8, 8), 17)
    model = _randomize(DDPM(DDPMConfig(T=20, **{**SMALL, "channels": 8}), info), seed=3)
    x = torch.randint(0, 17, (3, 1, 8, 8)).float() * 2 / 16 - 1
    bpd = model.log_likelihood(x, torch.Generator().manual_seed(0))
    assert bpd.shape == (3,) and torch.isfinite(bpd).all() and (bpd > 0).all()  # -log P of discrete data >= 0
    r = model.vlb_terms(x, torch.Generator().manual_seed(0))
    assert r["terms"].shape == (3, 20) and (r["terms"] >= 0).all()
    torch.testing.assert_close(r["terms"].sum(1) + r["prior"], bpd)


def test_model_edit_tasks_and_inversion_shapes():
    info = DataInfo("digits", "image", (1, 8, 8), 17)
    model = _randomize(DDPM(DDPMConfig(steps=4, **{**SMALL, "channels": 8}), info), seed=4).eval()
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, 8, 8, generator=g) * 2 - 1
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :3] = 1
    out = apply_edit(model, "inpaint", x, g, mask=mask, jump_length=2, resample=2)
    assert torch.equal(out[..., :3], x[..., :3])
    assert torch.equal(apply_edit(model, "img2img", x, g, strength=0.0), x)
    assert apply_edit(model, "denoise", x, g, sigma=0.05, steps=3).shape == x.shape
    low = x[:, :, ::2, ::2]
    assert apply_edit(model, "superres", low, g).shape == x.shape  # exactness of ILVR is tested in test_edit.py
    z = model.encode(x)
    assert z.shape == x.shape and model.decode(z).shape == x.shape
    assert model.interpolate(x[0], x[1], steps=3).shape == (3, 1, 8, 8)
