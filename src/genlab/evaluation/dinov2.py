"""FD-DINOv2 (Stein et al. 2023): DINOv2's CLS features from a local `transformers` model folder.

Never downloads: the folder must hold a Dinov2Model saved with `save_pretrained` (config.json + weights).
Images are resized to the model's input size, grey repeated to RGB, and normalised with ImageNet's mean and
std as DINOv2 was trained. Unavailable, with the reason, when transformers or the folder is missing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class DINOv2Space:
    """CLS-token features [N, hidden] of a Dinov2Model."""

    kind = "image"
    role = "dinov2"
    test_accuracy = None

    def __init__(self, model, folder: Path, device: torch.device):
        self.model = model.to(device).eval()
        self.device = device
        self.size = int(model.config.image_size)
        weights = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin"))
        h = hashlib.sha256()
        for p in weights:
            h.update(p.read_bytes())
        self.name, self.sha256 = f"dinov2-{model.config.hidden_size}", h.hexdigest()

    @torch.no_grad()
    def features(self, x: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
        """CLS features of images [N, C, H, W] in [-1, 1], float32 on CPU."""
        mean = torch.tensor(IMAGENET_MEAN, device=self.device).reshape(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=self.device).reshape(1, 3, 1, 1)
        out = []
        for i in range(0, len(x), batch_size):
            b = x[i:i + batch_size].to(self.device, torch.float32)
            b = b.expand(-1, 3, -1, -1) if b.shape[1] == 1 else b
            b = F.interpolate((b + 1) / 2, size=(self.size, self.size), mode="bicubic", align_corners=False)
            out.append(self.model(pixel_values=(b.clamp(0, 1) - mean) / std).pooler_output.float().cpu())
        return torch.cat(out)


def load_dinov2(folder: str | Path, device: torch.device) -> DINOv2Space | dict:
    """The DINOv2 space of a local model folder, or {'available': False, 'reason': ...}."""
    folder = Path(folder)
    try:
        from transformers import Dinov2Model
    except Exception as e:  # an ImportError, or a broken install raising anything else on import
        return {"available": False, "reason": f"transformers is not usable ({type(e).__name__}: {e}); "
                                              "pip install genlab[dinov2]"}
    if not (folder / "config.json").is_file():
        return {"available": False, "reason": f"no DINOv2 model folder at {folder} (config.json missing)"}
    try:
        model = Dinov2Model.from_pretrained(str(folder), local_files_only=True)
    except Exception as e:  # transformers raises OSError, ValueError, ... for bad folders
        return {"available": False, "reason": f"{folder}: not a loadable DINOv2 model ({type(e).__name__}: {e})"}
    return DINOv2Space(model, folder, device)
