"""Editing: RePaint keeps known pixels, SDEdit at strength 0 is the identity, ILVR matches the low-res input,
denoising draws from the Gaussian posterior, DDIM inversion round-trips (closed-form Gaussian denoiser)."""

from __future__ import annotations

import math

import torch
from gaussian_truth import optimal_denoiser

from genlab.edit import denoise, img2img, inpaint, superres
from genlab.edit.inpaint import repaint_schedule
from genlab.models.diffusion.parameterization import make_denoiser
from genlab.models.diffusion.schedule import Schedule
from genlab.nn.unet import UNet
from genlab.samplers import sample_ddim, timestep_grid
from genlab.samplers.ddim_inversion import ddim_invert, interpolate

AB = torch.as_tensor(Schedule.named("linear", 1000).alpha_bar)
MU, S = 0.3, 0.4


def tiny_net_denoiser():
    net = UNet(1, 1, 8, (1, 2), 1).eval()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return make_denoiser(net, AB, clip_x0=True)


def test_repaint_schedule_counts():
    moves = repaint_schedule(20, 5, 3)
    assert moves[-1] == (19, 20) and sum(1 for a, b in moves if b == a + 1) == 20 + 3 * 2 * 5
    assert all(b - a in (1, -5) for a, b in moves)


def test_inpaint_keeps_known_pixels_and_samples_the_unknown_from_the_prior():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, 8, 8, generator=g) * 2 - 1
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4] = 1
    out = inpaint(
        tiny_net_denoiser(), AB, x, mask, timestep_grid(1000, 10), jump_length=3, resample=2, generator=g
    )
    assert torch.equal(out[..., :4], x[..., :4])
    # iid N(MU, S^2) pixels: the unknown half must be a fresh draw from the prior
    x = MU + S * torch.randn(400, 1, 4, 4, generator=g, dtype=torch.float64)
    mask = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    mask[..., :2] = 1
    # fixed_large: with 100 steps the fixed_small ancestral chain visibly shrinks the variance of narrow data
    out = inpaint(
        optimal_denoiser(AB, MU, S),
        AB,
        x,
        mask,
        timestep_grid(1000, 100, "trailing"),
        jump_length=10,
        resample=2,
        generator=g,
        variance="fixed_large",
    )
    torch.testing.assert_close(out[..., :2], x[..., :2], atol=1e-12, rtol=0)
    unknown = out[..., 2:]
    assert abs(unknown.mean().item() - MU) < 0.02 and abs(unknown.std().item() - S) < 0.02
    assert abs(torch.corrcoef(torch.stack([unknown.flatten(), x[..., 2:].flatten()]))[0, 1].item()) < 0.05


def test_img2img_strength_zero_is_identity_and_strength_one_forgets_the_input():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 1, 8, 8, generator=g) * 2 - 1
    assert torch.equal(img2img(tiny_net_denoiser(), AB, x, 0.0, generator=g), x)
    xs = torch.full((2000, 1), 0.9, dtype=torch.float64)
    out = img2img(optimal_denoiser(AB, MU, S), AB, xs, 1.0, steps=50, generator=g)
    assert abs(out.mean().item() - MU) < 0.03  # the prior's mean, not the input's 0.9
    small = img2img(optimal_denoiser(AB, MU, S), AB, xs, 0.02, steps=50, generator=g)
    assert (small - 0.9).abs().mean().item() < 0.1  # weak edits stay close to the input


def test_superres_output_downsamples_to_the_input():
    g = torch.Generator().manual_seed(2)
    y_low = torch.rand(2, 1, 4, 4, generator=g) * 2 - 1
    out = superres(tiny_net_denoiser(), AB, y_low, 2, timestep_grid(1000, 20), generator=g)
    assert out.shape == (2, 1, 8, 8)
    torch.testing.assert_close(torch.nn.functional.avg_pool2d(out, 2), y_low, atol=1e-5, rtol=0)


def test_denoise_draws_from_the_gaussian_posterior():
    g = torch.Generator().manual_seed(3)
    sigma, n = 0.3, 20000
    x = MU + S * torch.randn(n, 1, generator=g, dtype=torch.float64)
    y = x + sigma * torch.randn(n, 1, generator=g, dtype=torch.float64)
    out = denoise(optimal_denoiser(AB, MU, S), AB, y, sigma, generator=g)
    # a posterior draw, independent of x given y: E(x_hat - x)^2 = 2 Var(x|y) = 2 s^2 sigma^2/(s^2 + sigma^2)
    truth = 2 * S**2 * sigma**2 / (S**2 + sigma**2)
    assert abs(((out - x) ** 2).mean().item() / truth - 1) < 0.05
    post_mean = MU + S**2 / (S**2 + sigma**2) * (y - MU)
    assert abs((out - post_mean).mean().item()) < 0.01


def test_ddim_inversion_round_trip_and_interpolation_end_points():
    g = torch.Generator().manual_seed(4)
    den = optimal_denoiser(AB, MU, S)
    x0 = MU + S * torch.randn(2000, 1, generator=g, dtype=torch.float64)
    grid = timestep_grid(1000, 100, "trailing")
    z = ddim_invert(den, AB, x0, grid)
    assert abs(z.std().item() - 1) < 0.05 and abs(z.mean().item()) < 0.05  # codes look like N(0, 1)
    err = (sample_ddim(den, z, grid, AB) - x0).abs()
    assert err.mean().item() < 0.02 and err.max().item() < 0.1
    fine = timestep_grid(1000, 200, "trailing")
    err_fine = (sample_ddim(den, ddim_invert(den, AB, x0, fine), fine, AB) - x0).abs()
    assert err_fine.mean().item() < 0.6 * err.mean().item()  # first-order: halving the step halves the error
    pair = x0[:32].reshape(2, 1, 4, 4)  # iid pixels: slerp needs more than one dimension
    frames = interpolate(den, AB, pair[:1], pair[1:], grid, frames=5)
    assert frames.shape == (5, 1, 4, 4) and math.isfinite(frames.sum().item())
    torch.testing.assert_close(frames[[0, -1]], pair, atol=0.1, rtol=0)
    mid = frames[2].flatten()  # a slerp midpoint of two N(0, I) codes decodes to a plausible draw, not a blur
    assert 0.2 < mid.std().item() < 0.6
