"""Experiment trackers beside metrics.jsonl (which stays the record): TensorBoard and Weights & Biases, each imported
only when `train.trackers` names it (`--log tensorboard,wandb`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from genlab.config import tracker_names
from genlab.errors import ConfigError

__all__ = ["open_trackers", "tracker_names"]


class TensorBoard:
    def __init__(self, run_dir: Path, config: dict):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:
            raise ConfigError(f"--log tensorboard: TensorBoard is not installed (pip install 'genlab[tensorboard]'; "
                              f"{e})") from None
        self.writer = SummaryWriter(str(Path(run_dir) / "tensorboard"))

    def log(self, step: int, scalars: dict[str, float]) -> None:
        for k, v in scalars.items():
            self.writer.add_scalar(k, v, step)

    def close(self) -> None:
        self.writer.close()


class WandB:
    """One W&B run per run folder: its id is derived from the folder, so a resumed run continues the same W&B run.
    Offline (no network) with WANDB_MODE=offline; files go under run_dir/wandb."""

    def __init__(self, run_dir: Path, config: dict):
        try:
            import wandb
        except Exception as e:  # ImportError, or a broken install raising anything else on import
            raise ConfigError(f"--log wandb: Weights & Biases is not usable (pip install 'genlab[wandb]'; "
                              f"{type(e).__name__}: {e})") from None
        run_dir = Path(run_dir).resolve()
        run_id = hashlib.sha1(str(run_dir).encode()).hexdigest()[:16]
        self.run = wandb.init(project="genlab", name=run_dir.name, id=run_id, resume="allow", dir=str(run_dir),
                              config=config, settings=wandb.Settings(console="off", silent=True))

    def log(self, step: int, scalars: dict[str, float]) -> None:
        self.run.log(dict(scalars), step=step)

    def close(self) -> None:
        self.run.finish()


def open_trackers(names: list[str], run_dir: Path, config: dict) -> list:
    return [{"tensorboard": TensorBoard, "wandb": WandB}[n](run_dir, config) for n in names]
