"""metrics.jsonl (one JSON object per logged step) and, when installed, TensorBoard."""

from __future__ import annotations

import json
from pathlib import Path

from genlab.fileio import atomic_write_text


class MetricsLogger:
    """Appends scalars to run_dir/metrics.jsonl; on resume, drops lines past the resumed step (and a line torn
    by a kill) so the log reads as if the run had never stopped."""

    def __init__(self, run_dir: Path, enabled: bool = True, truncate_after: int | None = None):
        self.enabled = enabled
        self.path = Path(run_dir) / "metrics.jsonl"
        self._tb = None
        if not enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if truncate_after is not None and self.path.exists():
            text = self.path.read_text()
            kept = "".join(line + "\n" for line in text.splitlines() if _step(line) <= truncate_after)
            if kept != text:
                atomic_write_text(self.path, kept)  # a kill here keeps the old log
        try:  # optional: TensorBoard only when the user has it
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(Path(run_dir) / "tensorboard"))
        except ImportError:
            self._tb = None

    def log(self, step: int, scalars: dict[str, float]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps({"step": step, **scalars}) + "\n")
        if self._tb is not None:
            for k, v in scalars.items():
                self._tb.add_scalar(k, v, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()


def _step(line: str) -> float:
    """The step of one metrics.jsonl line; infinity for a blank or torn line (a kill mid-append), so it is dropped."""
    try:
        return json.loads(line).get("step", 0)
    except (ValueError, AttributeError):
        return float("inf")


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
