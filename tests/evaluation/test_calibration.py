"""Calibration: FD of held-out real data against degraded copies rises with each degradation, the mildest
blur is separated from clean data by more than three standard errors, and copies of training images raise
the memorization share; checked on digits and (when its files are present) on a small MNIST subset."""

import os
from pathlib import Path

import pytest
import torch

from genlab.evaluation.calibration import calibrate, gaussian_blur
from genlab.evaluation.sample_metrics import splits
from genlab.evaluation.spaces import PixelPCA


def test_gaussian_blur_matches_scipy():
    from scipy.ndimage import gaussian_filter

    x = torch.rand(2, 1, 9, 11, generator=torch.Generator().manual_seed(0)) * 2 - 1
    mine = gaussian_blur(x.double(), 1.0)
    ref = torch.from_numpy(gaussian_filter(x.double().numpy(), sigma=(0, 0, 1.0, 1.0), mode="reflect",
                                           truncate=3.0))
    # scipy's 'reflect' is half-sample symmetric (d c b a | a b c d); torch's is whole-sample (d c b | a b c d)
    torch.testing.assert_close(mine[..., 3:-3, 3:-3], ref[..., 3:-3, 3:-3], atol=1e-12, rtol=0)


def _check(space, data, n):
    ref_name, ref_x, held_x, held_y = splits(data)
    rec = calibrate(space, data, space.features(ref_x), held_x[:n], held_y[:n])
    v = rec["values"]
    assert rec["passed"], rec["checks"]
    clean = v["clean"][0]
    blurs = list(v["blur"].values())
    side = min(data.train.shape[-2:])
    assert [float(k) for k in v["blur"]] == [side / 16, side / 8, side / 4]
    assert clean < blurs[0][0] < blurs[1][0] < blurs[2][0]
    assert v["copies_memorization_share"]["1.0"] > 0.9 > v["copies_memorization_share"]["0.0"]
    return rec


def test_both_spaces_are_calibrated_on_digits(digits, digits_evaluator):
    for space in (digits_evaluator, PixelPCA(digits.train)):
        rec = _check(space, digits, len(digits.test))
        mild = rec["values"]["blur"]["0.5"]  # sigma = 8 / 16 pixels
        assert mild[0] - rec["values"]["clean"][0] > 3 * max(rec["values"]["clean"][1], mild[1])


def _mnist_dir() -> Path | None:
    for d in (os.environ.get("GENLAB_MNIST"), Path(__file__).parents[3] / "shared" / "data" / "mnist"):
        if d and (Path(d) / "train-images-idx3-ubyte.gz").is_file():
            return Path(d)
    return None


@pytest.mark.skipif(_mnist_dir() is None, reason="MNIST IDX files not found (../shared/data/mnist or $GENLAB_MNIST)")
def test_pixel_space_is_calibrated_on_a_small_mnist_subset():
    from genlab.data import load_dataset
    from genlab.data.dataset import Dataset

    full = load_dataset("mnist", data_dir=str(_mnist_dir()))
    g = torch.Generator().manual_seed(0)
    tr, te = torch.randperm(len(full.train), generator=g)[:3000], torch.randperm(len(full.test), generator=g)[:500]
    data = Dataset("mnist-small", "image", full.train[tr], full.test[te], 256, full.train_labels[tr],
                   full.test_labels[te], 10)
    _check(PixelPCA(data.train), data, 500)
