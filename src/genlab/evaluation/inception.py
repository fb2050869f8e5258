"""Inception-v3 FID/KID through torch-fidelity, only with local weights: never downloads, never substitutes.

torch-fidelity's `inception-v3-compat` extractor is the TF-FID network (Heusel et al. 2017) ported to
PyTorch; `calculate_metrics` takes datasets yielding uint8 [3, H, W] images and returns
'frechet_inception_distance', 'kernel_inception_distance_mean' and 'kernel_inception_distance_std'.
"""

from __future__ import annotations

from pathlib import Path

import torch

from genlab.metrics.records import unavailable

INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"  # torch-fidelity's release file name


def cached_inception_weights() -> Path | None:
    """torch-fidelity's weights if torch.hub already holds them (fetched earlier by the user), else None."""
    path = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILE
    return path if path.is_file() else None


def to_uint8_rgb(x: torch.Tensor) -> torch.Tensor:
    """Images [N, C, H, W] in [-1, 1] -> uint8 [N, 3, H, W] (grey repeated to three channels)."""
    x = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.expand(-1, 3, -1, -1).contiguous() if x.shape[1] == 1 else x


class _ImageSet(torch.utils.data.Dataset):
    """A uint8 image tensor as the map-style dataset torch-fidelity reads."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def inception_metrics(generated: torch.Tensor, reference: torch.Tensor, weights: str | Path | None = None,
                      device: str | torch.device = "cpu", kid_subset_size: int = 1000,
                      kid_subsets: int = 100, seed: int = 0) -> dict:
    """{fid, kid_mean, kid_std, weights} of generated vs reference images, or an unavailable record."""
    if generated.dim() != 4:
        return unavailable("Inception metrics are defined for images only")
    try:
        import torch_fidelity
    except ImportError:
        return unavailable("torch-fidelity is not installed (pip install genlab[fidelity])")
    except Exception as e:  # e.g. a CUDA torchvision under a CPU torch raises RuntimeError on import
        return unavailable(f"torch-fidelity failed to import ({type(e).__name__}: {e})")
    path = Path(weights) if weights is not None else cached_inception_weights()
    if path is None:
        return unavailable("no local Inception weights: pass --inception-weights PATH")
    if not path.is_file():
        return unavailable(f"Inception weights not found: {path}")
    size = min(kid_subset_size, len(generated), len(reference))
    out = torch_fidelity.calculate_metrics(
        input1=_ImageSet(to_uint8_rgb(generated)), input2=_ImageSet(to_uint8_rgb(reference)),
        cuda=torch.device(device).type == "cuda", fid=True, kid=True, kid_subset_size=size,
        kid_subsets=kid_subsets, feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=str(path), rng_seed=seed, cache=False, verbose=False,
        samples_shuffle=False, save_cpu_ram=True)
    return {"fid": float(out["frechet_inception_distance"]),
            "kid_mean": float(out["kernel_inception_distance_mean"]),
            "kid_std": float(out["kernel_inception_distance_std"]), "weights": str(path)}
