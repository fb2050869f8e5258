"""`genlab distill RUN`: a few-step student of a trained diffusion run (DDPM or LDM) into a new run folder.

The student run is a run like any other (config.json records the teacher's folder and the method; checkpoints,
`genlab sample`, `genlab evaluate`, `--resume`), of the family 'distilled'. SIGTERM or SIGINT stops at the next step
with a checkpoint written (exit code 4); `genlab distill --resume STUDENT_RUN` continues it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.cli.options import add_budget_args, budget_from_args
from genlab.errors import ConfigError, Stopped

METHODS = ("consistency", "progressive")


def add_parser(sub) -> None:
    d = sub.add_parser("distill", help="distil a diffusion run into a 1-4 step student",
                       description="Train a few-step student of a finished ddpm or ldm run: consistency "
                       "distillation (Song et al. 2023) or progressive distillation (Salimans & Ho 2022). The "
                       "student is a new numbered run folder (family 'distilled') that records its teacher; sample "
                       "it with `genlab sample RUN --steps K`.")
    d.add_argument("run", nargs="?", help="the teacher's run folder (a ddpm or ldm run)")
    d.add_argument("--method", choices=METHODS, default="consistency")
    add_budget_args(d)
    d.add_argument("--steps-out", default="1,2,4", help="student sampling steps to offer, e.g. 1,2,4 (progressive "
                   "distils down to the smallest, which is also the default sampling; default 1,2,4)")
    d.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a student config value, e.g. --set model.levels=40 --set train.lr=1e-4")
    d.add_argument("--batch-size", type=int)
    d.add_argument("--out", help="folder of run folders (default: the teacher's)")
    d.add_argument("--seed", type=int)
    d.add_argument("--device", help="auto (default), cpu, cuda or cuda:N")
    d.add_argument("--resume", metavar="STUDENT_RUN", help="continue a student run from its last checkpoint (a "
                   "budget flag may raise its budget)")
    d.add_argument("--quiet", action="store_true", help="no progress bar")
    d.set_defaults(func=cmd_distill)


def parse_steps_out(text: str) -> tuple[int, ...]:
    """'1,2,4' -> (1, 2, 4): distinct positive step counts, increasing; ConfigError otherwise."""
    try:
        steps = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        steps = []
    if not steps or min(steps) < 1:
        raise ConfigError(f"--steps-out '{text}': expected positive step counts such as 1,2,4")
    return tuple(sorted(set(steps)))


def _distill(a: argparse.Namespace, stop, where: dict) -> int:
    from genlab.config import update_dataclass
    from genlab.data import load_data_from_config
    from genlab.device import resolve_device
    from genlab.distillation import load_teacher, student_config, student_trainer
    from genlab.fileio import check_output_dir
    from genlab.runs import new_run_dir, read_run_config, run_name

    train = {**budget_from_args(a), **{k: getattr(a, k) for k in ("seed", "device", "batch_size")
                                        if getattr(a, k) is not None}}
    if a.resume:
        run_dir = where["run"] = Path(a.resume)
        check_output_dir(run_dir, "--resume")
        cfg = read_run_config(run_dir)
        if cfg.family != "distilled":
            raise ConfigError(f"--resume {run_dir}: a {cfg.family} run, not a distilled student")
        if budget_from_args(a):  # a resumed student may be given a new budget, nothing else
            cleared = {"steps": None, "images": None, "budget": None}
            cfg.train = update_dataclass(update_dataclass(cfg.train, cleared, "train"), budget_from_args(a), "train")
        teacher, _ = load_teacher(Path(cfg.model.teacher_run), resolve_device(a.device or cfg.train.device))
    else:
        if not a.run:
            raise ConfigError("distill: name the teacher's run folder (or --resume a student run)")
        teacher_run = Path(a.run)
        steps_out = parse_steps_out(a.steps_out)
        teacher, teacher_cfg = load_teacher(teacher_run, resolve_device(a.device or "auto"))
        cfg = student_config(teacher_run, teacher_cfg, a.method, steps_out, a.set, train)
        out = Path(a.out) if a.out else teacher_run.parent
        check_output_dir(out, "--out")
    dataset = load_data_from_config(cfg.data)
    if not a.resume:
        run_dir = where["run"] = new_run_dir(out, run_name("distilled", cfg.data.name))
    trainer = student_trainer(cfg, dataset, run_dir, teacher, progress=not a.quiet, stop=stop)
    if trainer.finished:
        print(f"{run_dir} is finished: its budget ({trainer.budget.describe()}) is used up")
        return 0
    result = trainer.fit()
    print(f"distilled ({cfg.model.method}) {cfg.model.teacher_run} for {result.step} steps ({result.seconds:.1f} s) "
          f"-> {run_dir}")
    return 0


def cmd_distill(a: argparse.Namespace) -> int:
    from genlab.train.preempt import stop_on_signals

    where: dict = {}
    with stop_on_signals() as stop:
        try:
            return _distill(a, stop, where)
        except Stopped as e:
            run = where.get("run")
            hint = f"resume with: genlab distill --resume {run}" if run else "run the same command again"
            raise Stopped(f"{e}; {hint}", e.exit_code) from None
