"""The DDPM as `genlab train ddpm` configures it (profile ddpm/points, ddpm/small-images) on the built-in data."""

import pytest

from defaults_runs import classes_covered, modes_and_hq


def test_default_ddpm_covers_ring8(tmp_path):
    # Measured: all 8 modes and a high-quality share of ~0.55 after 1000 steps, ~0.8 after 4000 (the former
    # defaults: the raw coordinates into the MLP and 20 sampling steps, 0.37 after 5800 steps; on grid25 0.08).
    covered, hq = modes_and_hq("ddpm", "ring8", seed=0, steps=1000, run_dir=tmp_path)
    assert covered == 8 and hq >= 0.4


@pytest.mark.slow
@pytest.mark.parametrize("data,modes", [("ring8", 8), ("grid25", 25)])
def test_default_ddpm_on_mixtures_over_seeds(tmp_path, data, modes):
    runs = [modes_and_hq("ddpm", data, seed, 2500, tmp_path / f"seed{seed}") for seed in range(3)]
    assert sum(c == modes and hq >= 0.5 for c, hq in runs) >= 2, runs


@pytest.mark.slow
def test_default_ddpm_covers_the_digit_classes(tmp_path):
    covered = [classes_covered("ddpm", seed, 800, tmp_path / f"seed{seed}") for seed in range(3)]
    assert min(covered) >= 8, covered
