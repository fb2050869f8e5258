import json

import torch
import torch.nn.functional as F

from genlab.data.dataset import Dataset
from genlab.evaluation.evaluator import (
    Recipe,
    evaluator_paths,
    load_or_train_evaluator,
    train_classifier,
)
from genlab.metrics.density_coverage import density_coverage
from genlab.metrics.frechet import frechet_distance
from genlab.metrics.precision_recall import precision_recall


def test_digits_evaluator_accuracy_and_cache(digits, digits_evaluator, digits_cache, monkeypatch):
    ev = digits_evaluator
    assert ev.test_accuracy > 0.95
    # the recorded accuracy is the real one
    assert (ev.predict(digits.test) == digits.test_labels).double().mean() == ev.test_accuracy
    assert ev.features(digits.test[:5]).shape == (5, 256)  # 128 pooled + 8 x 4 x 4 spatial
    monkeypatch.setenv("GENLAB_CACHE", str(digits_cache))
    weights, meta_path = evaluator_paths("digits-test-fp")
    meta = json.loads(meta_path.read_text())
    assert meta["sha256"] == ev.sha256 and len(ev.sha256) == 64 and meta["num_classes"] == 10
    assert not [p for p in weights.parent.iterdir() if p.suffix == ".tmp"]
    again = load_or_train_evaluator(digits, "digits-test-fp", "cpu", progress=False)  # a cache hit
    assert again.sha256 == ev.sha256
    assert torch.equal(again.features(digits.test), ev.features(digits.test))


def test_training_is_deterministic_on_cpu(digits):
    short = Recipe(min_steps=15, epochs=0)
    small = Dataset("d", "image", digits.train[:300], digits.test[:50], 17, digits.train_labels[:300],
                    digits.test_labels[:50], 10)
    a, acc_a = train_classifier(small, "cpu", short, progress=False)
    b, acc_b = train_classifier(small, "cpu", short, progress=False)
    assert acc_a == acc_b
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    assert all(torch.equal(x, y) for x, y in pairs)


def test_real_images_score_far_better_than_degraded_ones(digits, digits_evaluator):
    ev, n = digits_evaluator, len(digits.test)
    g = torch.Generator().manual_seed(1)
    real = digits.train[torch.randperm(len(digits.train), generator=g)[:n]]
    blur = F.avg_pool2d(F.avg_pool2d(digits.test, 3, 1, 1, count_include_pad=False), 3, 1, 1,
                        count_include_pad=False)
    single = digits.train[digits.train_labels == 0][:n]
    noise = torch.round(torch.rand(n, 1, 8, 8, generator=g) * 16) / 16 * 2 - 1
    ref = ev.features(digits.test)

    def scores(x):
        f = ev.features(x)
        return frechet_distance(ref, f), precision_recall(ref, f)[1], density_coverage(ref, f)[1]

    fd_real, recall_real, coverage_real = scores(real)
    assert recall_real > 0.6 and coverage_real > 0.8
    for bad in (blur, single, noise):
        fd, recall, coverage = scores(bad)
        assert fd > 20 * fd_real
        assert recall < 0.3 and coverage < 0.3
