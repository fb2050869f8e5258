"""The VAE's prior p(z): the standard normal, or a learned mixture of diagonal Gaussians.

With p(z) = N(0, I), the ELBO's KL(q(z|x) || p(z)) has a closed form (Kingma & Welling 2014, Appendix B). A
posterior that carries much information leaves its aggregate sum_x q(z|x) far from N(0, I) (holes between the
posteriors; Hoffman & Johnson 2016), and decoding z drawn from N(0, I) then gives malformed images. A learned
mixture prior (as in Dilokthanakul et al. 2016; Tomczak & Welling 2018 learn a mixture of posteriors instead)

    p_psi(z) = sum_k pi_k N(z; m_k, diag s_k^2),   pi = softmax(logits)

is trained with the rest of the ELBO and follows the aggregate posterior. Its KL has no closed form: the ELBO uses
the single-sample estimate KL ~ log q(z|x) - log p_psi(z) at the reparameterized z, unbiased for the true KL, and
the IWAE bound is unchanged in form (any normalized p(z) keeps it a bound on log p(x)).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from genlab import rng
from genlab.maths.gaussian import normal_log_density, standard_normal_kl, standard_normal_log_density, sum_per_example

PRIORS = ("normal", "mixture")


class StandardNormalPrior(nn.Module):
    """p(z) = N(0, I)."""

    analytic_kl = True

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) per example [B]."""
        return sum_per_example(standard_normal_log_density(z))

    def kl(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """KL(N(mu, e^logvar) || N(0, I)) per example [B], in closed form (z unused)."""
        return standard_normal_kl(mu, logvar)

    def sample(self, n: int, shape: tuple[int, ...], generator, device, temperature: float = 1.0) -> torch.Tensor:
        """z ~ N(0, temperature^2 I), [n, *shape]."""
        return temperature * rng.randn((n, *shape), generator, device)


class GaussianMixturePrior(nn.Module):
    """p(z) = sum_k pi_k N(z; m_k, diag s_k^2) over a flat latent of size dim, with K learned components."""

    analytic_kl = False

    def __init__(self, dim: int, components: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        # means spread like N(0, I) samples, unit variances: at initialisation close to a broad N(0, 2I)
        self.means = nn.Parameter(torch.randn(components, dim, generator=g))
        self.logvars = nn.Parameter(torch.zeros(components, dim))
        self.logits = nn.Parameter(torch.zeros(components))

    def component_log_probs(self, z: torch.Tensor) -> torch.Tensor:
        """log pi_k + log N(z; m_k, s_k^2) for each example and component, [B, K]."""
        lp = normal_log_density(z[:, None, :], self.means[None], self.logvars[None]).sum(-1)
        return lp + torch.log_softmax(self.logits, dim=0)[None]

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log p(z) = logsumexp_k (log pi_k + log N(z; m_k, s_k^2)), [B]."""
        return torch.logsumexp(self.component_log_probs(z.flatten(1)), dim=1)

    def kl(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Single-sample estimate of KL(q(z|x) || p(z)): log q(z|x) - log p(z) at z ~ q(z|x), [B]."""
        return sum_per_example(normal_log_density(z, mu, logvar)) - self.log_prob(z)

    def sample(self, n: int, shape: tuple[int, ...], generator, device, temperature: float = 1.0) -> torch.Tensor:
        """k ~ Categorical(pi) by inverting its CDF at u ~ U(0, 1), z = m_k + temperature * s_k * eps, [n, *shape];
        each image's u and eps come from its own stream when the generator is per image."""
        cdf = torch.cumsum(torch.softmax(self.logits.detach().double(), dim=0), dim=0)
        u = rng.rand((n, 1), generator, device, torch.float64)[:, 0].to(cdf.device)
        k = torch.searchsorted(cdf, u, right=True).clamp(max=len(cdf) - 1)
        eps = rng.randn((n, self.means.shape[1]), generator, device)
        z = self.means[k] + temperature * torch.exp(0.5 * self.logvars[k]) * eps
        return z.reshape(n, *shape)


def make_prior(name: str, latent_shape: tuple[int, ...], components: int) -> nn.Module:
    """The prior named by VAEConfig.prior for a latent of latent_shape."""
    if name == "normal":
        return StandardNormalPrior()
    return GaussianMixturePrior(math.prod(latent_shape), components)
