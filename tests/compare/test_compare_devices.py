"""`genlab compare --devices cpu,cpu`: the runs train in parallel processes, one per device, and end with the
weights, metrics and report a sequential compare gives (a steps budget makes training deterministic)."""

import json

from safetensors.torch import load_file

from genlab.cli import main

ARGS = ["--data", "ring8", "--families", "vae,gan", "--steps", "25", "--n-eval", "300", "--n-curve", "100",
        "--n-likelihood", "50", "--n-latent", "32", "--step-grid", "ddim:5", "--quiet", "--device", "cpu"]


def _strip_clock(d):
    if isinstance(d, dict):
        return {k: _strip_clock(v) for k, v in d.items()
                if not any(w in k for w in ("per_second", "seconds", "per_s", "time", "peak_memory", "date"))}
    return [_strip_clock(v) for v in d] if isinstance(d, list) else d


def test_parallel_training_on_two_devices_matches_the_sequential_compare(tmp_path):
    assert main(["compare", *ARGS, "--out", str(tmp_path / "seq")]) == 0
    assert main(["compare", *ARGS, "--devices", "cpu,cpu", "--out", str(tmp_path / "par")]) == 0
    for fam in ("vae", "gan"):
        ckpt = [sorted((tmp_path / d / "runs" / f"{fam}-seed0" / "checkpoints").glob("*.safetensors"))[-1]
                for d in ("seq", "par")]
        a, b = load_file(ckpt[0]), load_file(ckpt[1])
        assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
        ma, mb = (json.loads((tmp_path / d / "runs" / f"{fam}-seed0" / "metrics.json").read_text())
                  for d in ("seq", "par"))
        assert _strip_clock(ma["fidelity"]) == _strip_clock(mb["fidelity"])
    report = (tmp_path / "par" / "report.md").read_text()
    assert "one process per device: cpu, cpu" in report
    assert "one process per device" not in (tmp_path / "seq" / "report.md").read_text()


def test_a_bad_device_in_the_list_fails_before_any_training(tmp_path, capsys):
    assert main(["compare", *ARGS, "--devices", "cpu,tpu", "--out", str(tmp_path / "bad")]) != 0
    assert "unknown device 'tpu'" in capsys.readouterr().err
    assert not (tmp_path / "bad" / "runs").exists()
