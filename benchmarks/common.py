"""Shared by the benchmark scripts: machine description, result files (JSON + Markdown table)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"
MNIST_DIR = Path(os.environ.get("GENLAB_MNIST", Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
        cpu = model
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "gpu": gpu,
            "torch": torch.__version__, "python": platform.python_version(), "genlab_commit": commit,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def write_results(name: str, payload: dict, table_rows: list[list], header: list[str], notes: list[str],
                  out: Path | None = None) -> Path:
    """<out>/<name>.json and <out>/<name>.md (a table plus the machine and notes); out defaults to results/."""
    out = Path(out) if out is not None else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), **payload}
    (out / f"{name}.json").write_text(json.dumps(payload, indent=1, default=float))
    m = payload["machine"]
    lines = [f"# {name}", "", f"{m['date']} · {m['cpu']} ({m['cores']} cores, {m['torch_threads']} torch threads)"
             f" · GPU: {m['gpu'] or 'none'} · torch {m['torch']} · genlab {m['genlab_commit']}", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table_rows:
        lines.append("| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row) + " |")
    lines += [""] + [f"- {n}" for n in notes]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    return out / f"{name}.md"
