import math
import sys
import types

import pytest
import torch
from torch import nn

from genlab.errors import GenlabError
from genlab.evaluation.inception import inception_metrics
from genlab.evaluation.protocol import build_manifest, check_compatible, protocol_key
from genlab.evaluation.speed import (
    images_per_second,
    parameter_count,
    peak_memory_bytes,
    reset_peak_memory,
    timed_batches,
)
from genlab.metrics.classes import class_coverage, class_histogram_kl
from genlab.metrics.interpolation import interpolation_smoothness, smoothness_per_strip
from genlab.metrics.memorization import memorization_share


def test_class_coverage_and_kl_on_constructed_predictions():
    pred = torch.tensor([0] * 50 + [1] * 50)
    real = torch.arange(4).repeat(25)  # uniform over 4 classes
    assert class_coverage(pred, 4) == 2
    assert class_coverage(torch.arange(4).repeat(10), 4) == 4
    # one class at 1% of predictions: below the default 0.2/K = 5% share
    assert class_coverage(torch.tensor([0] * 99 + [3]), 4) == 1
    assert class_histogram_kl(pred, real, 4) == pytest.approx(math.log(2), rel=1e-12)
    assert class_histogram_kl(real, real, 4) == pytest.approx(0.0, abs=1e-12)
    # a class missing from the real labels gets half a count: q = 0.5/100
    real_missing = torch.tensor([0] * 50 + [1] * 50)
    p = torch.tensor([0] * 90 + [2] * 10)
    truth = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.005)
    assert class_histogram_kl(p, real_missing, 4) == pytest.approx(truth, rel=1e-12)


def test_memorization_copies_versus_fresh_samples():
    g = torch.Generator().manual_seed(0)
    train, test, fresh = (torch.randn(n, 6, generator=g) for n in (600, 400, 400))
    copies = train[torch.randperm(600, generator=g)[:200]]
    m_copy = memorization_share(copies, train, test, quantile=0.05)
    m_fresh = memorization_share(fresh, train, test, quantile=0.05)
    assert m_copy["share"] == 1.0
    assert m_fresh["share"] < 0.15  # a fresh sample is flagged about `quantile` of the time
    assert m_copy["threshold"] == m_fresh["threshold"] > 0


def test_interpolation_smoothness_even_and_jumpy():
    a, b = torch.randn(2, 5, generator=torch.Generator().manual_seed(0))
    even = torch.stack([a + (b - a) * t for t in torch.linspace(0, 1, 8)])  # [8, 5]
    assert smoothness_per_strip(even[None])[0] == pytest.approx(1.0, abs=1e-9)
    # a straight path with steps 1, 1, 4: ideal step 2, RMS step sqrt(6)
    jumpy = torch.tensor([[0.0], [1.0], [2.0], [6.0]])
    assert smoothness_per_strip(jumpy[None])[0] == pytest.approx(math.sqrt(6) / 2, rel=1e-12)
    # an evenly spaced half circle, 8 steps of chord 2 sin(pi/16) against an ideal step 2/8
    t = torch.linspace(0, math.pi, 9, dtype=torch.float64)
    arc = torch.stack([torch.cos(t), torch.sin(t)], dim=1)  # [9, 2]
    even_x = torch.linspace(-1, 1, 9, dtype=torch.float64)
    line = torch.stack([even_x, torch.zeros_like(even_x)], 1)
    out = interpolation_smoothness(torch.stack([line, arc]))
    truth = 8 * math.sin(math.pi / 16)  # = 1.5607
    assert out["per_strip"] == pytest.approx([1.0, truth], rel=1e-9)
    assert out["mean"] == pytest.approx((1.0 + truth) / 2, rel=1e-9)


def _manifest(**over):
    kw = dict(dataset="digits", fingerprint="abc", feature_extractor="genlab-cnn-v1", feature_sha256="f00",
              n_samples=1000, reference_split="test", n_reference=297, seed=0, batch_size=100,
              sample_options={"sampler": "ddim", "steps": 50}, nfe=50, kid_subset_size=1000, kid_subsets=100,
              prdc_k=(3, 5), memorization_quantile=0.05)
    kw.update(over)
    return build_manifest(**kw)


def test_protocol_mismatch_names_the_field():
    check_compatible([_manifest(), _manifest(sample_options={"sampler": "ddpm"}, nfe=1000, seed=1)])
    with pytest.raises(GenlabError, match="'n_samples'"):
        check_compatible([_manifest(), _manifest(), _manifest(n_samples=500)])
    with pytest.raises(GenlabError, match="'feature_sha256'"):
        check_compatible([_manifest(), _manifest(feature_sha256="other")])
    m = _manifest()
    assert set(protocol_key(m)) <= set(m) and m["versions"]["torch"] == torch.__version__


def test_inception_reports_unavailable_without_torch_fidelity(monkeypatch, tmp_path):
    imgs = torch.zeros(4, 1, 8, 8)
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # makes `import torch_fidelity` fail
    rec = inception_metrics(imgs, imgs)
    assert rec["available"] is False and "torch-fidelity is not installed" in rec["reason"]
    # installed but without local weights: still no number, and no download
    monkeypatch.setitem(sys.modules, "torch_fidelity", types.ModuleType("torch_fidelity"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    rec = inception_metrics(imgs, imgs)
    assert rec == {"available": False, "reason": "no local Inception weights: pass --inception-weights PATH"}
    rec = inception_metrics(imgs, imgs, weights=tmp_path / "missing.pth")
    assert rec["available"] is False and "not found" in rec["reason"]


def test_speed_counts_and_timing():
    lin = nn.Linear(3, 4)
    tied = nn.Sequential(lin, nn.ReLU(), lin)
    assert parameter_count(lin) == 3 * 4 + 4 == parameter_count(tied)
    outs, seconds = timed_batches(lambda b: torch.full((2,), float(b)), 3, "cpu", warmup=1)
    assert [float(o[0]) for o in outs] == [0.0, 1.0, 2.0] and seconds >= 0
    assert images_per_second(lambda b: torch.zeros(5, 1), 5, 2, "cpu") > 0
    assert peak_memory_bytes("cpu") is None  # a process's peak RSS cannot be reset, so CPU has no per-model peak


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_peak_memory_counts_a_known_allocation():
    reset_peak_memory("cuda")
    before = torch.cuda.memory_allocated("cuda")
    x = torch.empty(2**20, dtype=torch.float32, device="cuda")  # exactly 4 MiB
    assert peak_memory_bytes("cuda") >= before + 4 * 2**20
    del x
