"""metrics.jsonl (one JSON object per logged step), and the trackers the run asked for (train/trackers.py)."""

from __future__ import annotations

import json
from pathlib import Path

from genlab.errors import CheckpointError
from genlab.fileio import atomic_write_text
from genlab.train.trackers import open_trackers


class MetricsLogger:
    """Appends scalars to run_dir/metrics.jsonl; on resume, drops lines past the resumed step (and a line torn
    by a kill) so the log reads as if the run had never stopped."""

    def __init__(self, run_dir: Path, enabled: bool = True, truncate_after: int | None = None,
                 trackers: list[str] = (), config: dict | None = None):
        self.enabled = enabled
        self.path = Path(run_dir) / "metrics.jsonl"
        self._trackers = []
        if not enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if truncate_after is not None and self.path.exists():
            text = self.path.read_bytes().decode("utf-8", errors="replace")
            kept = "".join(line + "\n" for line in text.splitlines() if _step(line) <= truncate_after)
            if kept != text:
                atomic_write_text(self.path, kept)  # a kill here keeps the old log
        self._trackers = open_trackers(list(trackers), Path(run_dir), config or {})

    def log(self, step: int, scalars: dict[str, float]) -> None:
        if not self.enabled:
            return
        append_metrics(self.path.parent, step, scalars)
        for tracker in self._trackers:
            tracker.log(step, scalars)

    def close(self) -> None:
        for tracker in self._trackers:
            tracker.close()
        self._trackers = []


def append_metrics(run_dir: Path, step: int, scalars: dict[str, float]) -> None:
    """One more metrics.jsonl line for a finished run (what `genlab evaluate` measured at its last step)."""
    with open(Path(run_dir) / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": step, **scalars}) + "\n")


def _step(line: str) -> float:
    """The step of one metrics.jsonl line; infinity for a blank or torn line (a kill mid-append), so it is dropped."""
    try:
        step = json.loads(line).get("step", 0)
    except (ValueError, AttributeError, RecursionError):
        return float("inf")
    return step if isinstance(step, int | float) and not isinstance(step, bool) else float("inf")


def read_metrics(run_dir: Path) -> list[dict]:
    """Every logged row of run_dir/metrics.jsonl ([] if there is none); CheckpointError names the file and
    line of anything that is not a JSON object with an integer 'step'."""
    path = Path(run_dir) / "metrics.jsonl"
    return [row for _, row in _lines(path)] if path.exists() else []


def _lines(path: Path) -> list[tuple[str, dict]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: cannot read ({' '.join(str(e).split())[:200]})") from None
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise CheckpointError(f"{path}: line {i} is not valid JSON ({' '.join(str(e).split())[:200]})") from None
        step = row.get("step") if isinstance(row, dict) else None
        if not isinstance(step, int) or isinstance(step, bool):
            raise CheckpointError(f"{path}: line {i} is not a JSON object with an integer 'step'")
        out.append((line, row))
    return out
