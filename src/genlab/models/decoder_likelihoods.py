"""Decoder likelihoods p_theta(x|z): the decoder emits `params_per_dim` values per data value.

Each likelihood gives log p(x|z) summed over the dimensions of one example ([B]), the decoder's point estimate
(`mean`: what `decode` shows; the mean, except the discretized logistic's median), and a sample. `discrete`
likelihoods give log P(k|z) of grid data directly; continuous ones are densities and are evaluated on uniformly
dequantized data plus the cell-volume correction of genlab.data.quantize when the data are discrete.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from genlab import rng
from genlab.errors import ConfigError
from genlab.maths.gaussian import normal_log_density_sigma, sum_per_example

LOG_SCALE_MIN = -7.0  # floor on log sigma / log s, keeps densities finite


def discretized_logistic_log_prob(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor,
                                  levels: int) -> torch.Tensor:
    """Elementwise log P(x) of grid data under a logistic discretized into bins of width 2/(levels-1).

    Salimans et al. 2017 (PixelCNN++), eq. 2: P(x) = sigma((x + h - mu)/s) - sigma((x - h - mu)/s),
    h = 1/(levels-1), with the lowest bin extended to -inf and the highest to +inf.
    """
    h = 1.0 / (levels - 1)
    inv_s = torch.exp(-log_scale)
    centered = x - mean
    plus_in = inv_s * (centered + h)
    min_in = inv_s * (centered - h)
    log_cdf_plus = F.logsigmoid(plus_in)  # log sigma(plus_in): lowest bin
    log_one_minus_cdf_min = -F.softplus(min_in)  # log(1 - sigma(min_in)): highest bin
    # log(sigma(b) - sigma(a)) = log sigma(b) + log(1 - exp(log sigma(a) - log sigma(b))), stable for b > a
    log_a, log_b = F.logsigmoid(min_in), log_cdf_plus
    log_mid = log_b + torch.log(-torch.expm1((log_a - log_b).clamp(max=-1e-12)))
    # where the bin mass underflows, use the density at the bin centre times the bin width
    mid_in = inv_s * centered
    log_pdf_mid = mid_in - log_scale - 2.0 * F.softplus(mid_in) + math.log(2 * h)
    log_mid = torch.where(log_b - log_a > 1e-5, log_mid, log_pdf_mid)
    low, high = x < -1 + h / 2, x > 1 - h / 2
    return torch.where(low, log_cdf_plus, torch.where(high, log_one_minus_cdf_min, log_mid))


class DecoderLikelihood(nn.Module):
    """Base class: log_prob(params, x) -> [B], mean(params), sample(params, generator)."""

    params_per_dim: int = 1
    discrete: bool = False

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def sample(self, params: torch.Tensor, generator: rng.Generator = None) -> torch.Tensor:
        raise NotImplementedError


class FixedGaussian(DecoderLikelihood):
    """N(x; mu_theta(z), sigma^2 I) with a fixed, configured sigma."""

    def __init__(self, sigma: float):
        super().__init__()
        if sigma <= 0:
            raise ConfigError(f"gaussian likelihood needs sigma > 0, got {sigma}")
        self.log_sigma = math.log(sigma)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return sum_per_example(normal_log_density_sigma(x, params, torch.full_like(params, self.log_sigma)))

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return params

    def sample(self, params: torch.Tensor, generator: rng.Generator = None) -> torch.Tensor:
        eps = rng.randn(params.shape, generator, params.device, params.dtype)
        return params + math.exp(self.log_sigma) * eps


class LearnedGaussian(DecoderLikelihood):
    """N(x; mu_theta(z), sigma^2): one learned global log sigma, or a per-dimension one from the decoder."""

    def __init__(self, per_dim: bool = False, init_sigma: float = 1.0):
        super().__init__()
        self.per_dim = per_dim
        self.params_per_dim = 2 if per_dim else 1
        self.global_log_sigma = None if per_dim else nn.Parameter(torch.tensor(math.log(init_sigma)))

    def _split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.per_dim:
            mean, log_sigma = params.chunk(2, dim=1)
        else:
            mean, log_sigma = params, self.global_log_sigma.expand_as(params)
        return mean, log_sigma.clamp(min=LOG_SCALE_MIN)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mean, log_sigma = self._split(params)
        return sum_per_example(normal_log_density_sigma(x, mean, log_sigma))

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return self._split(params)[0]

    def sample(self, params: torch.Tensor, generator: rng.Generator = None) -> torch.Tensor:
        mean, log_sigma = self._split(params)
        eps = rng.randn(mean.shape, generator, mean.device, mean.dtype)
        return mean + torch.exp(log_sigma) * eps


class DiscretizedLogistic(DecoderLikelihood):
    """Single discretized logistic per value (PixelCNN++ style) on `levels` grid values in [-1, 1]."""

    params_per_dim = 2
    discrete = True

    def __init__(self, levels: int):
        super().__init__()
        if levels is None or levels < 2:
            raise ConfigError(f"logistic likelihood needs discrete data with >= 2 levels, got {levels}")
        self.levels = levels

    def _split(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_scale = params.chunk(2, dim=1)
        return mean, log_scale.clamp(min=LOG_SCALE_MIN)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mean, log_scale = self._split(params)
        return sum_per_example(discretized_logistic_log_prob(x, mean, log_scale, self.levels))

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        # the location mu, i.e. the median of the censored logistic: its true mean is greyer (a 200 s MNIST VAE's
        # prior samples: FD 68.0 against 44.4 in the trained space), so decode shows the median
        return self._split(params)[0].clamp(-1, 1)

    def sample(self, params: torch.Tensor, generator: rng.Generator = None) -> torch.Tensor:
        mean, log_scale = self._split(params)
        u = rng.rand(mean.shape, generator, mean.device, mean.dtype)
        u = u.clamp(1e-5, 1 - 1e-5)
        y = mean + torch.exp(log_scale) * (torch.log(u) - torch.log1p(-u))  # logistic inverse CDF
        k = torch.round((y.clamp(-1, 1) + 1) * (self.levels - 1) / 2)
        return 2 * k / (self.levels - 1) - 1


class Bernoulli(DecoderLikelihood):
    """Bernoulli(sigmoid(logit_theta(z))) on binarized data stored as {-1, 1}."""

    discrete = True

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        b = (x > 0).to(params.dtype)
        return -sum_per_example(F.binary_cross_entropy_with_logits(params, b, reduction="none"))

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        return 2 * torch.sigmoid(params) - 1

    def sample(self, params: torch.Tensor, generator: rng.Generator = None) -> torch.Tensor:
        u = rng.rand(params.shape, generator, params.device, params.dtype)
        return torch.where(u < torch.sigmoid(params), 1.0, -1.0).to(params.dtype)


class ContinuousBernoulli(DecoderLikelihood):
    """Continuous Bernoulli (Loaiza-Ganem & Cunningham 2019) on y = (x + 1) / 2 in [0, 1], logits eta from the decoder.

    p(y|lambda) = C(lambda) lambda^y (1 - lambda)^(1 - y), lambda = sigmoid(eta), with the normaliser
    C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda) = eta / tanh(eta / 2): the BCE loss of grey-level
    images made a proper density (BCE alone is not normalised on [0, 1]). A density in x is p(y) / 2.
    """

    TAYLOR = 1e-2  # |eta| below which the closed forms are replaced by their Taylor series (0/0 at eta = 0)

    def log_prob(self, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # log lambda^y (1 - lambda)^(1 - y) = -BCE(eta, y), y = (x + 1) / 2
        log_kernel = -F.binary_cross_entropy_with_logits(params, (x + 1) / 2, reduction="none")
        return sum_per_example(log_kernel + self.log_normalizer(params) - math.log(2.0))

    @classmethod
    def _near_zero(cls, eta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mask of |eta| < TAYLOR, eta with those entries set to 1): the closed forms are then evaluated where
        they are finite, and torch.where picks the Taylor series under the mask (no NaN in either branch's grad)."""
        small = eta.abs() < cls.TAYLOR
        return small, torch.where(small, torch.ones_like(eta), eta)

    @classmethod
    def log_normalizer(cls, eta: torch.Tensor) -> torch.Tensor:
        """log C = log(eta / tanh(eta / 2)); near 0: log 2 + log(1 + eta^2 / 12) (Taylor, error O(eta^4))."""
        small, safe = cls._near_zero(eta)
        exact = torch.log(safe.abs()) - torch.log(torch.tanh(safe.abs() / 2))
        return torch.where(small, math.log(2.0) + torch.log1p(eta * eta / 12), exact)

    def mean(self, params: torch.Tensor) -> torch.Tensor:
        """E[y] = lambda / (2 lambda - 1) + 1 / (2 artanh(1 - 2 lambda)) = sigmoid(eta) / tanh(eta / 2) - 1 / eta
        (near 0: 1/2 + eta / 12), mapped to [-1, 1]."""
        small, safe = self._near_zero(params)
        exact = torch.sigmoid(safe) / torch.tanh(safe / 2) - 1 / safe
        return 2 * torch.where(small, 0.5 + params / 12, exact) - 1

    def sample(self, params: torch.Tensor, generator: rng.Generator = None) -> torch.Tensor:
        """Inverse CDF: y = log(1 + u (e^eta - 1)) / eta (near eta = 0: y = u)."""
        u = rng.rand(params.shape, generator, params.device, params.dtype)
        small, safe = self._near_zero(params)
        y = torch.where(small, u, torch.log1p(u * torch.expm1(safe)) / safe)
        return 2 * y.clamp(0, 1) - 1


LIKELIHOODS = ("auto", "gaussian", "gaussian_learned", "logistic", "bernoulli", "continuous_bernoulli")


def resolve_likelihood_name(name: str, kind: str, levels: int | None) -> str:
    """'auto' -> bernoulli (2-level images), logistic (other discrete images), else gaussian_learned."""
    if name not in LIKELIHOODS:
        raise ConfigError(f"unknown likelihood '{name}' (choose from {', '.join(LIKELIHOODS)})")
    if name != "auto":
        return name
    if kind == "image" and levels is not None:
        return "bernoulli" if levels == 2 else "logistic"
    return "gaussian_learned"


def make_likelihood(name: str, levels: int | None, sigma: float = 0.1,
                    sigma_per_dim: bool = False, sigma_init: float = 1.0) -> DecoderLikelihood:
    """Build a resolved likelihood by name; checks that the data suit it."""
    if name == "gaussian":
        return FixedGaussian(sigma)
    if name == "gaussian_learned":
        return LearnedGaussian(per_dim=sigma_per_dim, init_sigma=sigma_init)
    if name == "logistic":
        return DiscretizedLogistic(levels)
    if name == "continuous_bernoulli":
        return ContinuousBernoulli()
    if name == "bernoulli":
        if levels != 2:
            raise ConfigError(f"bernoulli likelihood needs binarized data (levels=2), got levels={levels}")
        return Bernoulli()
    raise ConfigError(f"unknown likelihood '{name}' (choose from {', '.join(LIKELIHOODS)})")
