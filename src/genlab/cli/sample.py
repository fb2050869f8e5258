"""`genlab sample RUN`: samples of a trained run as PNGs or one array file."""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.cli.options import add_label_args, add_sampling_args, labels_from_args, sampling_options_from_args


def add_parser(sub) -> None:
    s = sub.add_parser("sample", help="draw samples from a trained run",
                       description="Save samples as 8-bit PNGs in a folder or one uint8 array in .npz "
                       "(2-D data: float coordinates in the data's own units). Image k depends on --seed "
                       "alone, not on --batch-size or --n; a conditional run's image k has label k mod K (or the "
                       "(k mod n)-th of --labels) and is the same image whatever the batch.")
    s.add_argument("run", help="run folder")
    s.add_argument("--n", "--samples", dest="n", type=int, default=64,
                   help="samples to draw (default 64; under torchrun write --samples: torchrun takes --n as its own)")
    s.add_argument("--out", required=True, help="FILE.npz or a folder for PNGs")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--batch-size", type=int, default=256)
    s.add_argument("--device", default="auto")
    add_sampling_args(s)
    add_label_args(s)
    s.set_defaults(func=cmd_sample)


def cmd_sample(a: argparse.Namespace) -> int:
    from genlab.device import resolve_device
    from genlab.errors import ConfigError
    from genlab.evaluation.generate import check_sample_options, generate, label_cycle
    from genlab.runs import load_run
    from genlab.train.distributed import join, leave
    from genlab.visual import check_samples_out, save_samples

    if a.n <= 0:
        raise ConfigError("--n must be positive")
    # under torchrun the ranks share the batches (image k keyed by its seed) and rank 0 writes them
    group, device = join(resolve_device(a.device))
    model, cfg, info, _ = load_run(a.run, device)
    check_samples_out(Path(a.out), info)  # before sampling, which may take long
    opts = check_sample_options(model, sampling_options_from_args(a))
    labels = label_cycle(model, labels_from_args(a))  # checked before sampling too
    x = generate(model, a.n, seed=a.seed, batch_size=a.batch_size, progress=True, labels=labels, **opts)
    out = save_samples(x, Path(a.out), info) if group.is_main else None
    leave(group)
    if out is None:
        return 0
    print(f"{a.n} samples -> {out}")
    return 0
