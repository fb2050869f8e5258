import math

import torch

from genlab import rng
from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable
from genlab.evaluation.evaluator import IdentityEvaluator
from genlab.evaluation.generate import generate
from genlab.evaluation.suite import evaluate
from genlab.models.base import GenerativeModel


class NoisyCopies(GenerativeModel):
    """A stand-in model: samples are training examples plus Gaussian noise; an identity 'autoencoder'."""

    family = "fake"

    def __init__(self, pool: torch.Tensor, noise: float, encoder: bool = True):
        super().__init__(None, None)
        self.pool, self.noise, self.encoder = pool, noise, encoder
        self.scale = torch.nn.Parameter(torch.ones(1))

    @torch.no_grad()
    def sample(self, n, generator=None, **options):
        idx = rng.per_image(lambda s, g: torch.randint(len(self.pool), s, generator=g), (n,), generator)
        eps = rng.randn((n, *self.pool.shape[1:]), generator)
        return (self.pool[idx] + self.noise * eps).clamp(-1, 1)

    def nfe(self, **options):
        return int(options.get("steps", 1))

    def log_likelihood(self, x, generator=None):
        # bits/dim of x under N(0, I): a proper density, so finite positive numbers
        nll = 0.5 * (x.flatten(1) ** 2 + math.log(2 * math.pi)).sum(1)
        return nll / (x[0].numel() * math.log(2))

    def encode(self, x, labels=None):
        if not self.encoder:
            raise NotAvailable("fake: no encoder")
        return x.flatten(1)

    def decode(self, z, labels=None):
        return z.reshape(-1, *self.pool.shape[1:])

    def interpolate(self, x_a, x_b, steps=8, mode="lerp", labels=None):
        t = torch.linspace(0, 1, steps).reshape(-1, *[1] * x_a.dim())
        return x_a[None] + t * (x_b - x_a)[None]


def _leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict) and v.get("available") is False:
            yield prefix + k, v
        elif isinstance(v, dict):
            yield from _leaves(v, prefix + k + ".")
        else:
            yield prefix + k, v


def test_seeded_generation_is_reproducible(digits):
    model = NoisyCopies(digits.train, 0.1)
    timing = {}
    a = generate(model, 10, 3, 4, timing=timing)
    b = generate(model, 10, 3, 4)
    c = generate(model, 4, 3, 4)
    assert torch.equal(a, b) and torch.equal(a[:4], c) and timing["samples_per_second"] > 0
    assert not torch.equal(a, generate(model, 10, 4, 4))
    # per-image seeds: image k does not depend on the batch it was drawn in
    assert torch.equal(a, generate(model, 10, 3, 3)) and torch.equal(a[5:7], generate(model, 7, 3, 10)[5:7])


def test_evaluate_images_returns_every_metric(digits, digits_evaluator):
    model = NoisyCopies(digits.train, 0.15)
    out = evaluate(model, digits, n_samples=300, seed=0, batch_size=100, device="cpu",
                   evaluator=digits_evaluator, sample_options={"steps": 7}, fingerprint="digits-test-fp",
                   kid_subset_size=100, kid_subsets=10, n_latent=64, interpolation_strips=4)
    for section in ("fidelity", "floor", "mode_collapse", "memorization", "likelihood", "latent", "inception",
                    "cost", "evaluator", "protocol"):
        assert section in out
    for k in ("fd", "kid_mean", "kid_std", "precision", "recall", "density", "coverage"):
        assert math.isfinite(out["fidelity"][k]) and math.isfinite(out["floor"][k])
    assert out["floor"]["fd"] < out["fidelity"]["fd"]  # noisy copies are worse than real data
    assert out["mode_collapse"]["classes_covered"] == 10.0
    assert out["likelihood"]["bits_per_dim"] > 0
    rec = out["latent"]["reconstruction"]
    assert rec["mse"] == 0.0 or rec["psnr"] > 100  # an identity autoencoder
    assert out["latent"]["interpolation"]["mean"] >= 1.0
    assert out["inception"]["available"] is False
    assert out["cost"]["nfe"] == 7.0 and out["cost"]["parameters"] == 1.0
    assert out["cost"]["peak_memory_bytes"]["available"] is False  # CPU: the process peak RSS cannot be reset
    assert out["protocol"]["feature_sha256"] == digits_evaluator.sha256 and out["protocol"]["nfe"] == 7
    # two independent spaces, both calibrated on digits; every fidelity number carries a standard error
    assert set(out["spaces"]) == {"trained", "pixels"} and out["spaces_unavailable"] == {}
    for space in out["spaces"].values():
        assert space["calibration"]["passed"], space["calibration"]["checks"]
        fid = space["fidelity"]
        for k in ("fd", "precision", "recall", "density", "coverage", "kid"):
            assert fid[f"{k}_se"] > 0, k
        assert space["floor"]["fd"] < fid["fd"]  # noisy copies are worse than real data in every space
    assert out["protocol"]["reference_split"] == "train" and out["protocol"]["n_reference"] == len(digits.train)
    skip = ("protocol", "evaluator", "spaces", "spaces_unavailable")  # strings and records, checked above
    assert out["likelihood"].pop("bound_on") == "-log p(x)"  # an unconditional model: a bound on -log p(x)
    for name, v in _leaves({k: v for k, v in out.items() if k not in skip}):
        if isinstance(v, dict):  # unavailable here: Inception (no weights), peak memory (CPU has no resettable peak)
            assert name in ("inception", "cost.peak_memory_bytes", "conditional") and v["reason"]
        elif isinstance(v, list):
            assert all(math.isfinite(x) for x in v), name
        else:
            assert isinstance(v, float) and math.isfinite(v), name
    # copying the training set shows up as memorization
    copies = evaluate(NoisyCopies(digits.train, 0.0), digits, n_samples=300, seed=0, batch_size=100,
                      device="cpu", evaluator=digits_evaluator, fingerprint="digits-test-fp",
                      kid_subset_size=100, kid_subsets=10, n_latent=16, interpolation_strips=2)
    # held-out real images are fresh draws: by construction about the quantile q = 0.05 of them fall under tau
    fresh = evaluate(NoisyCopies(digits.test, 0.0), digits, n_samples=297, seed=0, batch_size=100,
                     device="cpu", evaluator=digits_evaluator, fingerprint="digits-test-fp",
                     kid_subset_size=100, kid_subsets=10, n_latent=16, interpolation_strips=2)
    assert copies["memorization"]["share"] > 0.9 > 0.2 > fresh["memorization"]["share"]


def test_evaluate_points_without_encoder():
    g = torch.Generator().manual_seed(0)
    modes = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    def draw(n):
        return modes[torch.randint(2, (n,), generator=g)] + 0.05 * torch.randn(n, 2, generator=g)
    data = Dataset("two", "points", draw(400), draw(200), None, modes=modes, mode_std=0.05)
    out = evaluate(NoisyCopies(data.train, 0.02, encoder=False), data, n_samples=200, seed=0, batch_size=50,
                   device="cpu", evaluator=IdentityEvaluator(), fingerprint="two-fp", kid_subset_size=100,
                   kid_subsets=5)
    assert out["latent"]["reconstruction"] == {"available": False, "reason": "fake: no encoder"}
    assert out["evaluator"]["name"] == "identity" and out["inception"]["available"] is False
    mc = out["mode_collapse"]
    if mc.get("available") is False:
        assert "genlab.metrics.modes" in mc["reason"]
    else:
        assert mc["modes_covered"] == 2.0 and mc["high_quality_share"] > 0.9
    assert math.isfinite(out["fidelity"]["fd"]) and out["fidelity"]["precision"] > 0.5


def test_evaluate_unlabelled_images_uses_the_training_free_space(digits):
    """No labels: no trained evaluator (reported with its reason), but the pixel-PCA space still measures
    fidelity, the floor and memorization; class coverage is unavailable."""
    bare = Dataset("bare", "image", digits.train[:200], digits.test[:60], 17)
    out = evaluate(NoisyCopies(bare.train, 0.1), bare, n_samples=50, seed=0, batch_size=25, device="cpu",
                   fingerprint="bare-fp", n_latent=8, interpolation_strips=2)
    assert "unlabelled images" in out["spaces_unavailable"]["trained"]
    assert set(out["spaces"]) == {"pixels"} and out["protocol"]["feature_extractor"].startswith("pixels-pca")
    assert math.isfinite(out["fidelity"]["fd"]) and out["floor"]["n"] == 50
    assert out["mode_collapse"]["available"] is False and "class labels" in out["mode_collapse"]["reason"]
    assert 0 <= out["memorization"]["share"] <= 1
    assert math.isfinite(out["latent"]["reconstruction"]["psnr"])
