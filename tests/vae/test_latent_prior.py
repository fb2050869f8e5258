"""The VAE's learned mixture prior against torch.distributions and closed forms."""

import math

import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, MultivariateNormal, Normal

from genlab import rng
from genlab.data.dataset import DataInfo
from genlab.maths.gaussian import normal_kl
from genlab.models.latent_prior import GaussianMixturePrior
from genlab.models.vae import VAE, VAEConfig


def _prior(dim: int, k: int, seed: int = 0) -> GaussianMixturePrior:
    prior = GaussianMixturePrior(dim, k)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        prior.means.copy_(2 * torch.randn(k, dim, generator=g))
        prior.logvars.copy_(0.5 * torch.randn(k, dim, generator=g))
        prior.logits.copy_(torch.randn(k, generator=g))
    return prior


def _reference(prior: GaussianMixturePrior) -> MixtureSameFamily:
    comp = Independent(Normal(prior.means.detach(), torch.exp(0.5 * prior.logvars.detach())), 1)
    return MixtureSameFamily(Categorical(logits=prior.logits.detach()), comp)


def test_mixture_log_density_equals_torch_distributions():
    prior = _prior(4, 6)
    z = 3 * torch.randn(50, 4, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(prior.log_prob(z).detach(), _reference(prior).log_prob(z), rtol=1e-5, atol=1e-5)


def test_one_sample_kl_is_unbiased_for_the_closed_form():
    # K = 1: KL(N(mu, s^2) || N(m, v)) in closed form; the estimate log q(z) - log p(z) at z ~ q averages to it
    prior = _prior(3, 1)
    mu, logvar = torch.tensor([[0.5, -1.0, 2.0]]), torch.tensor([[-1.0, 0.3, -0.2]])
    exact = normal_kl(mu, logvar, prior.means.detach(), prior.logvars.detach()).sum().item()
    n = 200_000
    z = mu + torch.exp(0.5 * logvar) * torch.randn(n, 3, generator=torch.Generator().manual_seed(2))
    est = prior.kl(mu.expand(n, 3), logvar.expand(n, 3), z).detach()
    se = (est.std() / math.sqrt(n)).item()
    assert abs(est.mean().item() - exact) < 4 * se, (est.mean().item(), exact, se)


def test_mixture_samples_follow_the_weights_and_are_keyed_per_image():
    prior = GaussianMixturePrior(2, 2)
    with torch.no_grad():
        prior.means.copy_(torch.tensor([[-10.0, 0.0], [10.0, 0.0]]))
        prior.logits.copy_(torch.tensor([math.log(0.3), math.log(0.7)]))
    n = 20_000
    z = prior.sample(n, (2,), torch.Generator().manual_seed(0), "cpu")
    share = (z[:, 0] < 0).float().mean().item()
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)
    assert abs(z[z[:, 0] < 0, 0].std().item() - 1.0) < 0.05  # unit variance within a component
    seeds = rng.image_seeds(7, 0, 6)
    together = prior.sample(6, (2,), rng.PerImageGenerator(seeds), "cpu")
    alone = torch.cat([prior.sample(1, (2,), rng.PerImageGenerator([s]), "cpu") for s in seeds])
    torch.testing.assert_close(together, alone)


def test_iwae_bound_with_a_mixture_prior_bounds_the_exact_marginal():
    # linear-Gaussian decoder x = W z + b + sigma eps under a mixture prior: p(x) is itself a Gaussian mixture,
    # sum_k pi_k N(x; W m_k + b, W S_k W^T + sigma^2 I); the IWAE bound rises with K towards it and stays below
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=2, likelihood="gaussian_learned", depth=0, prior="mixture",
                          prior_components=3), DataInfo("gauss", "points", (4,), None))
    model.prior = _prior(2, 3, seed=3)
    with torch.no_grad():
        model.likelihood.global_log_sigma.fill_(math.log(0.5))
    lin = model.decoder[0]
    w, b, s2 = lin.weight.detach(), lin.bias.detach(), math.exp(2 * math.log(0.5))
    p = model.prior
    covs = torch.stack([w @ torch.diag(torch.exp(lv)) @ w.T + s2 * torch.eye(4) for lv in p.logvars.detach()])
    comp = MultivariateNormal(p.means.detach() @ w.T + b, covariance_matrix=covs)
    exact_dist = MixtureSameFamily(Categorical(logits=p.logits.detach()), comp)
    x = exact_dist.sample((300,))
    exact = exact_dist.log_prob(x)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        b1, b500 = (torch.stack([model.iwae_bound(x, k, g) for _ in range(3)]).mean(0) for k in (1, 500))
    gap_lo, gap_hi = exact - b500, b500 - b1
    assert gap_hi.mean().item() > 0.1  # importance sampling tightens the bound of the untrained encoder
    se = (gap_lo.std() / math.sqrt(len(x))).item()
    assert gap_lo.mean().item() > -3 * se  # and it stays a bound on the exact log p(x)
    assert gap_lo.mean().item() < gap_hi.mean().item()  # K = 500 is closer to the truth than K = 1
    # K = 1 is log p(x|z) + log p(z) - log q(z|x) at the z it draws: each term from torch.distributions
    with torch.no_grad():
        mu, logvar = model.posterior(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=torch.Generator().manual_seed(5))
        ref = (Independent(Normal(z @ w.T + b, 0.5), 1).log_prob(x) + _reference(p).log_prob(z)
               - Independent(Normal(mu, torch.exp(0.5 * logvar)), 1).log_prob(z))
        torch.testing.assert_close(model.iwae_bound(x, 1, torch.Generator().manual_seed(5)), ref, rtol=1e-4, atol=1e-4)
