"""GAN objectives on discriminator logits, plus the WGAN-GP and R1 gradient penalties.

Every loss takes raw logits l = D(x) (never probabilities) and is written with softplus, using
-log sigmoid(l) = softplus(-l) and -log(1 - sigmoid(l)) = softplus(l), so it stays finite for any logit.
Each returns the batch mean as a scalar tensor.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def d_loss_minimax(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator loss of the original GAN."""
    # Goodfellow et al. 2014, eq. 1: L_D = -log D(x) - log(1 - D(G(z))) = softplus(-l_real) + softplus(l_fake)
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss of the original (saturating) minimax game."""
    # Goodfellow et al. 2014, eq. 1: L_G = log(1 - D(G(z))) = -softplus(l_fake)
    return -F.softplus(fake_logits).mean()


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss (the heuristic of Goodfellow et al. 2014, sec. 3)."""
    # Goodfellow et al. 2014, sec. 3: L_G = -log D(G(z)) = softplus(-l_fake)
    return F.softplus(-fake_logits).mean()


def d_loss_hinge(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge discriminator loss."""
    # Lim & Ye 2017; Miyato et al. 2018, eq. 16: L_D = max(0, 1 - D(x)) + max(0, 1 + D(G(z)))
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def g_loss_hinge(fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge generator loss."""
    # Miyato et al. 2018, eq. 17: L_G = -D(G(z))
    return -fake_logits.mean()


def d_loss_wgan(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss (add gradient_penalty for WGAN-GP)."""
    # Arjovsky et al. 2017; Gulrajani et al. 2017, alg. 1: L_D = D(G(z)) - D(x)
    return fake_logits.mean() - real_logits.mean()


def g_loss_wgan(fake_logits: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss."""
    # Gulrajani et al. 2017, alg. 1: L_G = -D(G(z))
    return -fake_logits.mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     weight: float = 10.0, alpha: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP penalty on random interpolates of real and fake; `alpha` [B] may be given, else U(0, 1)."""
    b = real.shape[0]
    if alpha is None:
        alpha = torch.rand(b, device=real.device, dtype=real.dtype)
    alpha = alpha.reshape(b, *([1] * (real.dim() - 1)))
    # Gulrajani et al. 2017, alg. 1: x_hat = eps x + (1 - eps) x_tilde
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norm = grad.reshape(b, -1).norm(2, dim=1)
    # Gulrajani et al. 2017, eq. 3: lambda (||grad_x_hat D(x_hat)||_2 - 1)^2
    return weight * ((norm - 1.0) ** 2).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """R1 penalty; `real` must have had requires_grad set before `real_logits = D(real)` was computed."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    # Mescheder et al. 2018, eq. 9: R1 = gamma/2 ||grad_x D(x)||^2 on real data
    return 0.5 * gamma * grad.reshape(grad.shape[0], -1).pow(2).sum(dim=1).mean()
