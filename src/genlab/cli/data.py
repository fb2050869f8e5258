"""`genlab data ...` and `genlab evaluator ...`: dataset utilities and the evaluator classifier."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def add_parser(sub) -> None:
    d = sub.add_parser("data", help="dataset utilities")
    dsub = d.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    dl = dsub.add_parser("download", help="download MNIST / Fashion-MNIST and verify checksums")
    dl.add_argument("name", choices=("mnist", "fashion-mnist"))
    dl.add_argument("--dest", help="target folder (default: $GENLAB_DATA or ./data)")
    di = dsub.add_parser("info", help="load a dataset and describe it")
    di.add_argument("name")
    di.add_argument("--data-dir")
    d.set_defaults(func=cmd_data)

    ev = sub.add_parser("evaluator", help="the evaluator classifier behind feature-space metrics")
    evsub = ev.add_subparsers(dest="evaluator_command", required=True, metavar="ACTION")
    et = evsub.add_parser("train", help="train (or load from cache) the evaluator for a labelled dataset")
    et.add_argument("data")
    et.add_argument("--data-dir")
    et.add_argument("--device", default="auto")
    ev.set_defaults(func=cmd_evaluator)


def cmd_data(a: argparse.Namespace) -> int:
    if a.data_command == "download":
        from genlab.data.download import download

        dest = Path(a.dest or os.environ.get("GENLAB_DATA") or "data")
        path = download(a.name, dest)
        print(f"{a.name} -> {path} (checksums verified)")
        return 0
    from genlab.data import load_dataset

    ds = load_dataset(a.name, data_dir=a.data_dir)
    print(json.dumps({**ds.info.to_json(), "n_train": len(ds.train), "n_test": len(ds.test)}, indent=1))
    return 0


def cmd_evaluator(a: argparse.Namespace) -> int:
    from genlab.data import dataset_fingerprint, load_dataset
    from genlab.device import resolve_device
    from genlab.evaluation.evaluator import load_or_train_evaluator

    ds = load_dataset(a.data, data_dir=a.data_dir)
    ev = load_or_train_evaluator(ds, dataset_fingerprint(ds), resolve_device(a.device), progress=True)
    print(f"evaluator for {ds.name}: test accuracy {ev.test_accuracy:.4f}, weights sha256 {ev.sha256[:16]}...")
    return 0
