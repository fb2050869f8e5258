"""Truncated latents: bounded, equal to N(0, 1) for large psi, and distributed as scipy's truncnorm."""

import pytest
import torch
from scipy import stats

from genlab.errors import ConfigError
from genlab.models.truncation import truncated_normal


def test_never_exceeds_psi():
    for psi in (0.05, 0.5, 1.0, 2.0):
        z = truncated_normal((4000, 8), psi, torch.Generator().manual_seed(1))
        assert z.abs().max().item() <= psi and z.shape == (4000, 8)


def test_large_psi_is_the_plain_normal():
    z = truncated_normal((20000,), 10.0, torch.Generator().manual_seed(2))
    assert stats.kstest(z.double().numpy(), stats.norm.cdf).pvalue > 0.01


def test_psi_one_matches_truncnorm_std_and_law():
    z = truncated_normal((200000,), 1.0, torch.Generator().manual_seed(3)).double()
    assert abs(z.std().item() - stats.truncnorm(-1, 1).std()) < 0.003  # closed form 0.5379
    assert stats.kstest(z[:20000].numpy(), stats.truncnorm(-1, 1).cdf).pvalue > 0.01


def test_tiny_psi_uses_exact_fallback():
    psi = 0.01  # acceptance ~0.8%: the resampling rounds leave stragglers for the inverse-CDF fallback
    z = truncated_normal((20000,), psi, torch.Generator().manual_seed(4)).double()
    assert z.abs().max().item() <= psi
    assert stats.kstest(z.numpy(), stats.truncnorm(-psi, psi).cdf).pvalue > 0.01


def test_rejects_nonpositive_psi():
    with pytest.raises(ConfigError):
        truncated_normal((3,), 0.0)
