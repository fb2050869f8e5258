"""GAN losses against their formulas on hand-picked logits; WGAN-GP and R1 against analytic gradients."""

import math

import torch

from genlab.models import gan_losses as L

REAL = [2.0, -1.0, 0.3]
FAKE = [0.5, -3.0, 1.7]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _mean(xs):
    return sum(xs) / len(xs)


def _t(xs):
    return torch.tensor(xs, dtype=torch.float64)


def test_minimax_discriminator_loss_is_binary_cross_entropy():
    # -log D(x) - log(1 - D(G(z))) with D = sigmoid(logit), evaluated on scalars
    want = _mean([-math.log(_sigmoid(r)) for r in REAL]) + _mean([-math.log(1 - _sigmoid(f)) for f in FAKE])
    assert abs(L.d_loss_minimax(_t(REAL), _t(FAKE)).item() - want) < 1e-12


def test_minimax_generator_loss():
    want = _mean([math.log(1 - _sigmoid(f)) for f in FAKE])
    assert abs(L.g_loss_minimax(_t(FAKE)).item() - want) < 1e-12


def test_nonsaturating_generator_loss():
    want = _mean([-math.log(_sigmoid(f)) for f in FAKE])
    assert abs(L.g_loss_nonsaturating(_t(FAKE)).item() - want) < 1e-12


def test_hinge_losses():
    want_d = _mean([max(0.0, 1 - r) for r in REAL]) + _mean([max(0.0, 1 + f) for f in FAKE])
    # by hand: real hinge (0, 2, 0.7) -> 0.9; fake hinge (1.5, 0, 2.7) -> 1.4
    assert abs(want_d - 2.3) < 1e-12
    assert abs(L.d_loss_hinge(_t(REAL), _t(FAKE)).item() - want_d) < 1e-12
    assert abs(L.g_loss_hinge(_t(FAKE)).item() - (-_mean(FAKE))) < 1e-12


def test_wgan_losses():
    assert abs(L.d_loss_wgan(_t(REAL), _t(FAKE)).item() - (_mean(FAKE) - _mean(REAL))) < 1e-12
    assert abs(L.g_loss_wgan(_t(FAKE)).item() + _mean(FAKE)) < 1e-12


def test_losses_stay_finite_at_extreme_logits():
    big = torch.tensor([-1e4, 1e4], requires_grad=True)
    for loss in (L.d_loss_minimax(big, big), L.g_loss_minimax(big), L.g_loss_nonsaturating(big)):
        (g,) = torch.autograd.grad(loss, big)
        assert torch.isfinite(loss) and torch.isfinite(g).all()
    # -log sigmoid(1e4) = 0 and -log(1 - sigmoid(-1e4)) = 0: a confident, correct D has zero loss
    assert L.d_loss_minimax(torch.tensor([1e4]), torch.tensor([-1e4])).item() == 0.0
    # the non-saturating loss at a rejected fake (logit -50) is ~50 = -log sigmoid(-50)
    assert abs(L.g_loss_nonsaturating(torch.tensor([-50.0])).item() - 50.0) < 1e-4


def test_gradient_penalty_zero_for_unit_norm_linear_critic():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, 4, generator=g, dtype=torch.float64)
    w = w / w.norm()  # D(x) = <w, x>, gradient w everywhere, ||w|| = 1

    def critic(x):
        return (x * w).flatten(1).sum(1)

    real = torch.randn(5, 3, 4, 4, generator=g, dtype=torch.float64)
    fake = torch.randn(5, 3, 4, 4, generator=g, dtype=torch.float64)
    assert abs(L.gradient_penalty(critic, real, fake, 10.0).item()) < 1e-12
    # doubling the weight makes the gradient norm 2: penalty = lambda (2 - 1)^2
    assert abs(L.gradient_penalty(lambda x: 2 * critic(x), real, fake, 10.0).item() - 10.0) < 1e-10


def _quadratic(seed=0, d=3):
    g = torch.Generator().manual_seed(seed)
    m = torch.randn(d, d, generator=g, dtype=torch.float64)
    a = torch.nn.Parameter(0.5 * (m + m.T))  # symmetric A: grad_x x^T A x = 2 A x
    real = torch.randn(6, d, generator=g, dtype=torch.float64)
    fake = torch.randn(6, d, generator=g, dtype=torch.float64)
    alpha = torch.rand(6, generator=g, dtype=torch.float64)
    return a, real, fake, alpha


def test_gradient_penalty_matches_analytic_gradient_of_quadratic_critic():
    a, real, fake, alpha = _quadratic()

    def critic(x):
        return torch.einsum("bi,ij,bj->b", x, a, x)

    gp = L.gradient_penalty(critic, real, fake, 10.0, alpha=alpha)
    x_hat = alpha[:, None] * real + (1 - alpha[:, None]) * fake
    grad = 2 * x_hat @ a.detach()  # [B, d], rows 2 A x_hat
    n = grad.norm(dim=1)
    assert abs(gp.item() - 10.0 * ((n - 1) ** 2).mean().item()) < 1e-10
    # the penalty must be differentiable in the critic's parameters (create_graph):
    # d/dA [lambda (||(A + A^T) x|| - 1)^2] = 2 lambda (n - 1)/n (g x^T + x g^T), averaged over the batch
    gp.backward()
    coef = 2 * 10.0 * (n - 1) / n
    outer = grad[:, :, None] * x_hat[:, None, :]  # [B, d, d], g x^T
    want = coef[:, None, None] * (outer + outer.transpose(1, 2))
    assert torch.allclose(a.grad, want.mean(0), atol=1e-10)


def test_r1_penalty_matches_analytic_gradient_of_quadratic_critic():
    a, real, _, _ = _quadratic(seed=1)
    x = real.clone().requires_grad_(True)
    logits = torch.einsum("bi,ij,bj->b", x, a, x)
    r1 = L.r1_penalty(logits, x, gamma=3.0)
    want = 1.5 * (2 * real @ a.detach()).pow(2).sum(1).mean()  # gamma/2 ||2 A x||^2
    assert abs(r1.item() - want.item()) < 1e-10
