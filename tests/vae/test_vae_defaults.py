"""The VAE as `genlab train vae` configures it (profile vae/points, vae/small-images) on the built-in data."""

import pytest

from defaults_runs import classes_covered, modes_and_hq


def test_default_vae_covers_ring8(tmp_path):
    # Measured: all 8 modes after 2000 steps, a high-quality share of ~0.1 after 3000 (the former defaults:
    # posterior collapse, one Gaussian blob with a high-quality share of 0.004).
    covered, hq = modes_and_hq("vae", "ring8", seed=0, steps=2000, run_dir=tmp_path)
    assert covered == 8 and hq >= 0.02


@pytest.mark.slow
@pytest.mark.parametrize("data,least", [("ring8", 8), ("grid25", 20)])
def test_default_vae_on_mixtures_over_seeds(tmp_path, data, least):
    runs = [modes_and_hq("vae", data, seed, 4000, tmp_path / f"seed{seed}") for seed in range(3)]
    assert sum(c >= least for c, _ in runs) >= 2, runs


@pytest.mark.slow
def test_default_vae_covers_the_digit_classes(tmp_path):
    covered = [classes_covered("vae", seed, 1500, tmp_path / f"seed{seed}") for seed in range(3)]
    assert min(covered) >= 8, covered
