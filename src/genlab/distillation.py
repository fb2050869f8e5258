"""Students of diffusion runs: their run config, their training from a teacher's run folder, and what
`genlab compare --distill` adds (the budget split, the student runs, their FD at 1, 2 and 4 steps).

A student run is an ordinary run folder of the family 'distilled' (models/distill/); this module only wires a
teacher's folder to the trainer. `genlab distill` and `genlab compare --distill` both train students through
`student_trainer`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from genlab.config import RunConfig, parse_duration, run_config
from genlab.errors import CheckpointError, ConfigError
from genlab.evaluation.curves import sample_fd
from genlab.evaluation.run import evaluate_run
from genlab.fileio import atomic_write_json
from genlab.models.base import GenerativeModel
from genlab.models.registry import DISTILLABLE
from genlab.runs import load_run, read_run_config
from genlab.train.trainer import Trainer

TEACHER_SHARE = 0.75  # compare --distill: a diffusion family's budget, 75% teacher and 25% student
STUDENT_SUFFIX = "-distilled"  # compare --distill: the student of family F is reported as F-distilled


def load_teacher(path: Path, device) -> tuple[GenerativeModel, RunConfig]:
    """The model and config of a finished ddpm or ldm run folder (EMA weights), or a one-line error."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"distill: run folder not found: {path}")
    family = read_run_config(path).family
    if family not in DISTILLABLE:
        raise ConfigError(f"distill: {path} is a {family} run; only diffusion runs ({', '.join(DISTILLABLE)}) can "
                          "be distilled")
    model, cfg, _, _ = load_run(path, device)
    if model.conditional:
        raise ConfigError(f"distill: {path} is class-conditional; conditional students are not supported yet")
    return model, cfg


def student_config(teacher_run: Path, teacher_cfg: RunConfig, method: str, steps_out: tuple[int, ...],
                   sets: list[str] = (), train: dict | None = None) -> RunConfig:
    """The student's run config: the teacher's data, model table and folder, the method and step counts (the
    first of steps_out is its default), then --set items and the train flags."""
    file = {"data": dataclasses.asdict(teacher_cfg.data),
            "model": {"method": method, "teacher_run": str(teacher_run), "teacher_family": teacher_cfg.family,
                      "teacher": dataclasses.asdict(teacher_cfg.model), "steps_out": list(steps_out),
                      "steps": steps_out[0]}}
    return run_config("distilled", file=file, sets=list(sets), train=train)


def student_trainer(cfg: RunConfig, data, run_dir: Path, teacher: GenerativeModel, **trainer_options) -> Trainer:
    """A trainer of the student `cfg` in run_dir: resumed from its last checkpoint if it has one, else started
    from the teacher's weights; the teacher attached either way."""
    resume = (Path(run_dir) / "checkpoints" / "latest.json").is_file()
    trainer = Trainer(cfg, data, run_dir, resume=resume, **trainer_options)
    if not resume:
        trainer.model.init_from_teacher(teacher)
        trainer.ema.load_state_dict(trainer.model.state_dict())
    trainer.model.attach_teacher(teacher)
    return trainer


def split_budget(fields: dict, share: float) -> dict:
    """A share of a budget given as {'budget': '70s'} | {'steps': N} | {'images': N}."""
    out = {}
    for k, v in fields.items():
        out[k] = f"{parse_duration(v) * share:.6g}s" if k == "budget" else max(1, round(v * share))
    return out


def student_budget(fields: dict) -> dict:
    """What a compare --distill student gets: the budget less its teacher's share (steps and images: the rest)."""
    teacher = split_budget(fields, TEACHER_SHARE)
    return {k: split_budget({k: v}, 1 - TEACHER_SHARE)[k] if k == "budget" else max(1, v - teacher[k])
            for k, v in fields.items()}


def budget_note(fields: dict) -> str:
    """What the report says about compare --distill's budget."""
    teacher, student = split_budget(fields, TEACHER_SHARE), student_budget(fields)
    show = lambda d: ", ".join(f"{v}" if k == "budget" else f"{v} {k}" for k, v in d.items())  # noqa: E731
    return (f"; with --distill each diffusion family's budget counts teacher and student together: "
            f"{TEACHER_SHARE:.0%} teacher ({show(teacher)}), {1 - TEACHER_SHARE:.0%} student ({show(student)})")


def student_families(spec) -> tuple[str, ...]:
    """The students compare --distill adds: F-distilled for every diffusion family F of the compare."""
    return tuple(f + STUDENT_SUFFIX for f in spec.families if f in DISTILLABLE) if spec.distill else ()


def teacher_budget(spec, family: str) -> dict:
    """A family's training budget in a compare: all of it, or with --distill a diffusion family's teacher share."""
    fields = spec.budget_fields()
    return split_budget(fields, TEACHER_SHARE) if spec.distill and family in DISTILLABLE else fields


def compare_students(spec, data, curve_space, evaluator, ref, stop=None) -> None:
    """compare --distill: for every diffusion family F of the compare, train, evaluate and measure its student
    OUT/runs/F-distilled-seedS (from the finished teacher F-seedS, on a quarter of F's budget); seed 0 also writes
    quality_vs_steps.json with FD at each of the student's step counts (beside the samplers' curves)."""
    for name in student_families(spec):
        family = name.removesuffix(STUDENT_SUFFIX)
        for seed in range(spec.seeds):
            teacher_run = spec.out / "runs" / f"{family}-seed{seed}"
            run_dir = spec.out / "runs" / f"{name}-seed{seed}"
            if (run_dir / "metrics.json").is_file():
                continue
            teacher, teacher_cfg = load_teacher(teacher_run, spec.device)
            recorded = {k: v for k in ("steps", "images", "budget") if (v := getattr(teacher_cfg.train, k)) is not None}
            if recorded != teacher_budget(spec, family):
                raise ConfigError(f"--distill: {teacher_run} was trained on {recorded}, not the teacher's share of the "
                                  f"budget ({teacher_budget(spec, family)}): it was trained without --distill; use "
                                  "another --out")
            train = {**student_budget(spec.budget_fields()), "seed": seed, "device": str(spec.device)}
            cfg = student_config(teacher_run, teacher_cfg, spec.distill, (1, 2, 4), train=train)
            trainer = student_trainer(cfg, data, run_dir, teacher, progress=False, device=spec.device, stop=stop)
            trainer.fit()
            if seed == 0:
                points = []
                for steps in cfg.model.steps_out:
                    fd, se, seconds = sample_fd(trainer.ema, data, curve_space, ref, spec.n_curve, steps=steps)
                    points.append([steps, fd, seconds / spec.n_curve, se])
                atomic_write_json(run_dir / "quality_vs_steps.json", {f"{spec.distill} student": points})
            evaluate_run(run_dir, n_samples=spec.n_eval, seed=0, device=spec.device, evaluator=evaluator, data=data,
                         progress=False, n_likelihood=spec.n_likelihood, n_latent=spec.n_latent, dinov2=spec.dinov2)
