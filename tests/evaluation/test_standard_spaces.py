"""The standard feature spaces join only with local weights: DINOv2 from a folder of tiny random weights (no
download), and both report 'unavailable, with the reason' when the package or the weights are missing or
broken (a CUDA torchvision under a CPU torch raises RuntimeError on import, not ImportError). The Inception
path with real weights needs torch-fidelity, which cannot be installed on these machines (see README)."""

import sys
import types

import pytest
import torch

from genlab.evaluation.dinov2 import DINOv2Space, load_dinov2
from genlab.evaluation.inception import inception_metrics
from genlab.evaluation.score import score


@pytest.fixture(scope="module")
def tiny_dinov2(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    cfg = transformers.Dinov2Config(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                                    image_size=16, patch_size=8)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("dinov2")
    transformers.Dinov2Model(cfg).save_pretrained(folder)
    return folder


def test_dinov2_space_from_tiny_local_weights(tiny_dinov2, digits):
    space = load_dinov2(tiny_dinov2, torch.device("cpu"))
    assert isinstance(space, DINOv2Space) and space.name == "dinov2-16" and len(space.sha256) == 64
    f = space.features(digits.test[:5])
    assert f.shape == (5, 16) and torch.isfinite(f).all()
    # the CLS feature is the model's own pooler output on the preprocessed batch: recompute it by hand
    x = ((digits.test[:1].expand(-1, 3, -1, -1) + 1) / 2)
    x = torch.nn.functional.interpolate(x, size=(16, 16), mode="bicubic", align_corners=False).clamp(0, 1)
    mean = torch.tensor([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    with torch.no_grad():
        ref = space.model(pixel_values=(x - mean) / std).last_hidden_state[:, 0]  # the layer-normed CLS token
    torch.testing.assert_close(f[:1], ref, atol=1e-5, rtol=1e-5)


def test_dinov2_joins_the_suite_as_a_third_space(tiny_dinov2, digits, digits_evaluator):
    out = score(digits.test[:120], digits, evaluator=digits_evaluator, dinov2=str(tiny_dinov2), kid_subset_size=50,
                kid_subsets=3)
    assert set(out["spaces"]) == {"trained", "pixels", "dinov2"}
    assert out["protocol"]["spaces"]["dinov2"]["name"] == "dinov2-16"


def test_dinov2_unavailable_with_reasons(tmp_path, monkeypatch):
    assert "config.json missing" in load_dinov2(tmp_path, torch.device("cpu"))["reason"]
    (tmp_path / "config.json").write_text("{not json")
    assert "not a loadable DINOv2 model" in load_dinov2(tmp_path, torch.device("cpu"))["reason"]
    broken = types.ModuleType("transformers")

    def fail(name):
        raise RuntimeError("operator torchvision::nms does not exist")

    broken.__getattr__ = fail
    monkeypatch.setitem(sys.modules, "transformers", broken)
    r = load_dinov2(tmp_path, torch.device("cpu"))
    assert r["available"] is False and "RuntimeError" in r["reason"]


def test_inception_is_unavailable_when_torch_fidelity_import_raises_runtime_error(monkeypatch, digits, tmp_path):
    """The trap measured on these machines: torch-fidelity's CUDA torchvision fails with RuntimeError."""
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "torch_fidelity":
            raise RuntimeError("operator torchvision::nms does not exist")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "torch_fidelity", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"x")
    r = inception_metrics(digits.test[:10], digits.train[:10], weights)
    assert r["available"] is False and "RuntimeError" in r["reason"] and "torchvision::nms" in r["reason"]
