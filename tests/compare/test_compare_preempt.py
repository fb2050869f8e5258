"""A compare stopped by SIGTERM and killed at random moments, each time re-run with the same --out, ends with the
report an uninterrupted compare writes, timings aside. The interruptions are signals this process sends itself
after a random delay (GENLAB_KILL_SEED replays the draw of delays): SIGTERM, which genlab handles, then SIGUSR1,
whose handler raises an exception nothing in genlab catches, standing for SIGKILL."""

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import torch

from genlab.cli import main
from genlab.data import dataset_fingerprint, load_dataset
from genlab.evaluation.evaluator import load_or_train_evaluator

ARGS = ["compare", "--data", "digits", "--families", "vae,ddpm", "--steps", "6", "--n-eval", "100", "--n-curve", "32",
        "--n-likelihood", "2", "--n-latent", "8", "--step-grid", "ddim:2", "--quiet", "--device", "cpu",
        "--set", "vae.model.channels=4", "--set", "ddpm.model.T=50", "--set", "ddpm.model.channels=8",
        "--set", "ddpm.model.steps=4", "--set", "vae.train.checkpoint_every=2",
        "--set", "ddpm.train.checkpoint_every=4"]
TIMING_KEYS = {"train_seconds", "train_images_per_s", "sample_images_per_s", "date", "time"}
TIMED_ROWS = {"training_cost", "sampling_speed"}  # their verdicts and evidence quote the timings
TIMED_ADVICE = {"speed_at_quality", "trade_off", "training"}


class Killed(BaseException):
    """Stands for SIGKILL: nothing in genlab catches it."""


def _run(out: Path, delay: float | None = None, signum: int = signal.SIGTERM) -> int | str:
    """Run the compare, sending this process `signum` after `delay` seconds; its exit code, or 'killed'. A signal
    landing outside the compare (the run ended first) is ignored."""
    inside = threading.Event()

    def outside_genlab(sig, frame):
        if sig == signal.SIGUSR1 and inside.is_set():
            raise Killed

    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}
    for s in (signal.SIGTERM, signal.SIGUSR1):
        signal.signal(s, outside_genlab)
    timer = threading.Timer(delay, os.kill, (os.getpid(), signum)) if delay is not None else None
    try:
        try:
            inside.set()
            if timer:
                timer.start()
            return main([*ARGS, "--out", str(out)])
        finally:
            inside.clear()
    except Killed:
        return "killed"
    finally:
        if timer:
            timer.cancel()
            timer.join()
        time.sleep(0.01)  # let a signal sent just now reach its (harmless) handler
        for s, h in previous.items():
            signal.signal(s, h)


def _without_timings(results: dict, out: Path) -> dict:
    """results.json with every timing cell, and every sentence or point computed from one, taken out."""
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in TIMING_KEYS}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x.replace(str(out), "OUT") if isinstance(x, str) else x

    r = strip(results)
    for row in r["rows"]:
        if row["axis"] in TIMED_ROWS:
            row.pop("verdict"), row.pop("because"), row.pop("comparisons", None)
    r["recommendation"] = [a for a in r["recommendation"] if a["topic"] not in TIMED_ADVICE]
    r["quality_vs_time"] = {f: [p[1:] for p in pts] for f, pts in r["quality_vs_time"].items()}  # [time, FD]
    r["quality_vs_steps"] = {f: {s: [p[:2] for p in pts] for s, pts in d.items()}  # [steps, FD, s/image]
                             for f, d in r["quality_vs_steps"].items()}
    return r


def test_compare_stopped_and_killed_at_random_ends_with_the_uninterrupted_report(tmp_path, capsys):
    seed = int(os.environ.get("GENLAB_KILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    data = load_dataset("digits")  # the evaluator is trained once, outside the timed run
    load_or_train_evaluator(data, dataset_fingerprint(data), torch.device("cpu"), progress=False)
    t0 = time.monotonic()
    assert _run(tmp_path / "whole") == 0
    total = time.monotonic() - t0
    expected = _without_timings(json.loads((tmp_path / "whole" / "results.json").read_text()), tmp_path / "whole")
    out = tmp_path / "stopped"
    delays = [rng.uniform(0, total)]
    delays.append(rng.uniform(0, total - delays[0]))  # about the work the SIGTERM left
    note = (f"GENLAB_KILL_SEED={seed}: SIGTERM after {delays[0]:.2f} s, SIGKILL after {delays[1]:.2f} s "
            f"(uninterrupted: {total:.2f} s)")
    capsys.readouterr()
    codes = [_run(out, delays[0], signal.SIGTERM)]
    err = capsys.readouterr().err.strip()
    assert codes[0] in (0, 4), note
    if codes[0] == 4:
        assert err.count("\n") == 0 and err.startswith("genlab: stopped: SIGTERM") and "same command again" in err
    codes.append(_run(out, delays[1], signal.SIGUSR1))
    codes.append(_run(out))
    assert codes[-1] == 0, note
    got = _without_timings(json.loads((out / "results.json").read_text()), out)
    assert got == expected, f"{note}; exit codes {codes}"
