"""Every bad path is one line on stderr starting 'genlab: error:', exit code 2, and nothing written."""

import json
import os
from pathlib import Path

import pytest

from genlab.cli import main

RING8 = ["--data", "ring8", "--steps", "2", "--quiet", "--set", "train.batch_size=32", "--set", "train.eval_every=0",
         "--set", "train.sample_every=0"]


def _tree(root: Path) -> dict:
    """Every entry under root, with each file's modification time (a folder's own time is not compared: the
    check that a folder is writable makes and removes a probe file in it)."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def _unwritable_dir(tmp_path) -> Path:
    """A folder this process cannot create files in (chmod does not stop root: then a read-only system folder)."""
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0o500)
    for candidate in (d, Path("/sys"), Path("/proc/self")):
        try:
            (candidate / ".genlab-write-test").touch()
            (candidate / ".genlab-write-test").unlink()
        except OSError:
            return candidate
    pytest.skip("no unwritable folder on this machine")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    assert main(["train", "vae", *RING8, "--out", str(out)]) == 0
    (r,) = out.iterdir()
    return r


def _case(tmp_path, run, kind):
    """(argv, the text the error must name) for one kind of bad path, made inside tmp_path."""
    afile = tmp_path / "a-file"
    afile.write_text("not a folder")
    locked = _unwritable_dir(tmp_path)
    resumable = tmp_path / "copy"
    if kind == "resume-not-a-run":
        resumable.mkdir()
        (resumable / "notes.txt").write_text("someone's folder")
    elif kind in ("resume-corrupt", "resume-newer", "resume-not-a-config"):
        resumable.mkdir()
        cfg = json.loads((run / "config.json").read_text())
        text = {"resume-corrupt": json.dumps(cfg)[:-20], "resume-newer": json.dumps({**cfg, "format": 99}),
                "resume-not-a-config": json.dumps({"family": "vae", "train": 3})}[kind]
        (resumable / "config.json").write_text(text)
    return {
        "train-out-file": (["train", "vae", *RING8, "--out", str(afile)], "is a file, not a folder"),
        "train-out-below-file": (["train", "vae", *RING8, "--out", str(afile / "runs")], "is a file, not a folder"),
        "train-out-unwritable": (["train", "vae", *RING8, "--out", str(locked / "runs")], "cannot write"),
        "train-data-dir-file": (["train", "vae", *RING8, "--data", "mnist", "--data-dir", str(afile)],
                                "is a file, not a folder"),
        "train-data-dir-file-unused": (["train", "vae", *RING8, "--data-dir", str(afile), "--out", str(tmp_path)],
                                       "is a file, not a folder"),
        "resume-not-a-run": (["train", "vae", "--resume", str(resumable)], "not a run folder"),
        "resume-missing": (["train", "vae", "--resume", str(tmp_path / "nowhere")], "no such run folder"),
        "resume-corrupt": (["train", "vae", "--resume", str(resumable)], "config.json: corrupt"),
        "resume-newer": (["train", "vae", "--resume", str(resumable)], "format 99"),
        "resume-not-a-config": (["train", "vae", "--resume", str(resumable)], "config.json"),
        "sample-out-below-file": (["sample", str(run), "--n", "4", "--out", str(afile / "x.npz")],
                                  "is a file, not a folder"),
        "sample-out-folder-as-file": (["sample", str(run), "--n", "4", "--out", str(tmp_path)],
                                      "2-D samples are saved as .npz"),
        "sample-out-unwritable": (["sample", str(run), "--n", "4", "--out", str(locked / "x.npz")], "cannot write"),
        "compare-out-file": (["compare", "--data", "ring8", "--steps", "2", "--quiet", "--out", str(afile)],
                             "is a file, not a folder"),
        "compare-out-unwritable": (["compare", "--data", "ring8", "--steps", "2", "--quiet", "--out",
                                    str(locked / "cmp")], "cannot write"),
        "edit-out-file": (["edit", str(run), "--task", "denoise", "--input", str(afile), "--out", str(afile)],
                          "is a file, not a folder"),
    }[kind]


KINDS = ["train-out-file", "train-out-below-file", "train-out-unwritable", "train-data-dir-file",
         "train-data-dir-file-unused", "resume-not-a-run", "resume-missing", "resume-corrupt", "resume-newer",
         "resume-not-a-config",
         "sample-out-below-file", "sample-out-folder-as-file", "sample-out-unwritable", "compare-out-file",
         "compare-out-unwritable", "edit-out-file"]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_path_is_one_line_exit_2_and_writes_nothing(tmp_path, run, kind, capsys, monkeypatch):
    argv, needle = _case(tmp_path, run, kind)
    monkeypatch.chdir(tmp_path)  # a default --out (runs/) would land here
    before, run_before = _tree(tmp_path), _tree(run)
    cache = Path(os.environ["GENLAB_CACHE"])
    cache_before = _tree(cache) if cache.is_dir() else {}
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("genlab: error:") and needle in err, err
    assert _tree(tmp_path) == before and _tree(run) == run_before
    assert (_tree(cache) if cache.is_dir() else {}) == cache_before
