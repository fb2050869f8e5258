"""`genlab compare`: every family, one data split, one budget, one metric suite, one report.

Each (family, seed) trains into OUT/runs/<family>-seed<S>/ and is evaluated into its metrics.json;
that file is written last, so its presence marks the run finished. A re-run with the same --out
skips finished runs, resumes unfinished ones from their last checkpoint (from step 0 before the first)
and redoes the extras and evaluation of a run stopped after training: killed at any moment, a compare
re-run ends with the report an uninterrupted one writes (timings aside). With `conditional`, every family trains
class-conditionally and seed 0 also writes knob_curve.json: fidelity against diversity as the family turns its own
knob (guidance, truncation, temperature), which the report draws as one figure.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import platform
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from genlab.config import DEFAULT_COMPARE_BUDGET as DEFAULT_BUDGET
from genlab.config import family_sets, run_config
from genlab.data import dataset_fingerprint, load_dataset
from genlab.data.dataset import DataInfo
from genlab.device import resolve_device
from genlab.distillation import budget_note, compare_students, student_families, teacher_budget
from genlab.edit.panels import save_edit_panels
from genlab.errors import ConfigError, GenlabError, NotAvailable, Stopped, TrainingFailed
from genlab.evaluation.curves import quality_probe, quality_vs_steps
from genlab.evaluation.elbo_view import elbo_view
from genlab.evaluation.evaluator import Evaluator
from genlab.evaluation.knobs import knob_curve
from genlab.evaluation.run import evaluate_run
from genlab.evaluation.sample_metrics import splits
from genlab.evaluation.spaces import feature_spaces
from genlab.evaluation.uses_sweep import beta_sweep, ensure_uses
from genlab.fileio import atomic_write_json, check_output_dir
from genlab.models.registry import families_for
from genlab.report.inputs import collect_inputs
from genlab.report.results import build_results
from genlab.report.uses import build_uses, collect_uses
from genlab.report.write import write_report
from genlab.runs import load_run
from genlab.train.config_file import read_config_file
from genlab.train.preempt import StopSignal, stop_on_signals
from genlab.train.trainer import Trainer

PROBES = (0.125, 0.25, 0.5, 0.75, 1.0)  # fractions of the budget where quality-vs-training-time is measured


@dataclass
class CompareSpec:
    data: str = "digits"
    data_dir: str | None = None
    families: tuple[str, ...] | None = None  # None: every family that fits the data
    budget: str | None = None
    steps: int | None = None
    images: int | None = None
    seeds: int = 1
    out: Path = Path("compare-out")
    device: str | torch.device = "auto"  # resolved once by run_compare
    n_eval: int = 1000  # samples per family for the metric suite
    n_curve: int = 250  # samples per point of the quality curves
    n_likelihood: int = 100  # test examples for bits/dim (the diffusion bound costs T network calls each)
    n_latent: int = 128  # test examples for reconstruction and interpolation
    sets: list[str] = field(default_factory=list)  # FAMILY.section.key=value overrides
    step_grid: dict[str, tuple[int, ...]] | None = None  # sampler -> step counts (default: STEP_GRID)
    progress: bool = True
    dinov2: str | None = None  # a local DINOv2 model folder: FD-DINOv2 as a third feature space
    conditional: bool = False  # every family class-conditional, plus the fidelity-diversity knob curves
    uses: bool = False  # issue 17: anomaly detection, compression (with the VAE's beta sweep), representations
    uses_betas: tuple[float, ...] = (0.5, 1.0, 2.0)
    uses_n: int = 500  # test images per measurement of the uses
    ood: str | None = None  # a user-given out-of-distribution dataset
    devices: tuple[str, ...] | None = None  # train the runs in parallel, one process per device (--devices)
    distill: str | None = None  # a method: each diffusion family's distilled student too (genlab.distillation)

    def budget_fields(self) -> dict:
        given = {k: v for k, v in (("budget", self.budget), ("steps", self.steps), ("images", self.images))
                 if v is not None}
        return given or {"budget": DEFAULT_BUDGET}


def run_config_of(spec: CompareSpec, family: str, seed: int, info: DataInfo):
    """The run config of one (family, seed): the same config API as `genlab train` (with the defaults for the
    kind of data `info` describes), FAMILY. prefix aside."""
    sets = family_sets(spec.sets, family) + (["model.conditional=true"] if spec.conditional else [])
    return run_config(family, sets=sets,
                      data={"name": spec.data, **({"data_dir": spec.data_dir} if spec.data_dir else {})},
                      train={**teacher_budget(spec, family), "seed": seed, "device": str(spec.device)}, data_info=info)


def family_extras(model, data, evaluator, ref: torch.Tensor, run_dir: Path, n: int, grid: dict | None = None,
                  n_elbo: int = 64) -> None:
    """Write quality_vs_steps.json, elbo_view.json, knob_curve.json (conditional runs) and the editing panels where
    the family has them."""
    if "steps" in model.sample_options():
        atomic_write_json(run_dir / "quality_vs_steps.json", quality_vs_steps(model, data, evaluator, ref, n, grid))
    if model.conditional:
        atomic_write_json(run_dir / "knob_curve.json", knob_curve(model, data, evaluator, ref, n))
    try:
        atomic_write_json(run_dir / "elbo_view.json", elbo_view(model, data, n_elbo))
    except NotAvailable:
        pass
    save_edit_panels(model, data, run_dir / "samples")


def run_compare(spec: CompareSpec, stop: StopSignal | None = None) -> dict[str, Path]:
    """Train, evaluate and report; returns the paths of the report files. `stop`: the SIGTERM/SIGINT flag
    (train.preempt), which stops training at a step boundary with a checkpoint written."""
    check_output_dir(spec.out, "--out")
    data = load_dataset(spec.data, data_dir=spec.data_dir)
    fitting = families_for(data.kind)
    if spec.families is None:
        spec.families = fitting
    unfit = [f for f in spec.families if f not in fitting]
    if unfit:
        raise ConfigError(f"--families: {', '.join(unfit)} needs image data (a spatial latent); '{data.name}' is "
                          f"2-D points (use --families {','.join(fitting)})")
    spec.device = device = resolve_device(spec.device)  # resolved once: every run and evaluation gets this device
    for d in spec.devices or ():
        resolve_device(d)  # a bad --devices entry fails before any training
    for f in spec.families:  # fail fast on bad overrides, before any training
        run_config_of(spec, f, 0, data.info)
        for seed in range(spec.seeds):  # a re-run must not mix conditional and unconditional runs in one report
            run_dir = _run_dir(spec, f, seed)
            if (run_dir / "config.json").is_file() and \
                    bool(getattr(read_config_file(run_dir).model, "conditional", False)) != spec.conditional:
                kind = "an unconditional" if spec.conditional else "a conditional"
                raise ConfigError(f"{run_dir} holds {kind} run: give --conditional as it was first given, or "
                                  "another --out")
    spec.out.mkdir(parents=True, exist_ok=True)
    spaces, _ = feature_spaces(data, dataset_fingerprint(data), device, spec.progress)
    curve_space = spaces[0]  # the trained evaluator, or the pixel space for unlabelled images
    evaluator = curve_space if isinstance(curve_space, Evaluator) else None
    ref = curve_space.features(splits(data)[1])  # reference-split features: the reference of every quality curve
    jobs = [(f, s) for s in range(spec.seeds) for f in spec.families]
    overall = tqdm(total=len(jobs), desc="compare", position=0, disable=not spec.progress, dynamic_ncols=True)
    lines = {f: tqdm(total=1, desc=f"  {f:<5}", position=i + 1, disable=not spec.progress, dynamic_ncols=True,
                     bar_format="{desc} {bar} {n_fmt}/{total_fmt} {unit} {postfix}")
             for i, f in enumerate(spec.families)}
    for f in spec.families:
        lines[f].set_postfix_str("waiting")
    if spec.devices:
        train_in_parallel(spec, [j for j in jobs if not (_run_dir(spec, *j) / "metrics.json").is_file()], lines,
                          stop or StopSignal())
    for family, seed in jobs:
        run_dir = _run_dir(spec, family, seed)
        line = lines[family]
        if (run_dir / "metrics.json").is_file():
            line.set_postfix_str(f"seed {seed}: done (kept from an earlier run)")
            overall.update(1)
            continue
        if spec.devices:  # trained by train_in_parallel: its EMA weights, on the evaluation device
            ema = load_run(run_dir, device)[0]
        else:
            line.set_postfix_str(f"seed {seed}: training")
            ema = _train(spec, data, family, seed, device, curve_space, ref, line, stop)
        if seed == 0:
            line.set_postfix_str("seed 0: family extras (quality vs steps, edits, ELBO terms)")
            family_extras(ema, data, curve_space, ref, run_dir, spec.n_curve, spec.step_grid, spec.n_likelihood)
        if spec.uses and seed == 0:
            line.set_postfix_str("seed 0: uses (anomaly, compression, representations, bottleneck)")
            ensure_uses(run_dir, data, device, ema, n=spec.uses_n, ood=spec.ood, data_dir=spec.data_dir)
        line.set_postfix_str(f"seed {seed}: evaluating")
        evaluate_run(run_dir, n_samples=spec.n_eval, seed=0, device=device, evaluator=evaluator, data=data,
                     progress=False, n_likelihood=spec.n_likelihood, n_latent=spec.n_latent, dinov2=spec.dinov2)
        line.set_postfix_str(f"seed {seed}: done")
        overall.update(1)
    for bar in [overall, *lines.values()]:
        bar.close()
    if spec.distill:
        compare_students(spec, data, curve_space, evaluator, ref, stop)
    if spec.uses:
        run_uses(spec, data, stop)
    guard = stop or StopSignal()  # without handlers (stop None) the flag never rises
    with guard.deferred():  # a stop raised inside matplotlib comes out mangled or lost (train/preempt.py)
        paths = write_compare_report(spec, data)
    if guard.requested:
        raise Stopped(f"{guard.name} as the report was written: the compare is complete")
    return paths


def run_uses(spec: CompareSpec, data, stop: StopSignal | None = None) -> None:
    """The uses of finished runs that lack them, and the VAE's beta sweep (image data, when vae is compared)."""
    for f in spec.families:
        ensure_uses(_run_dir(spec, f, 0), data, spec.device, n=spec.uses_n, ood=spec.ood,
                    data_dir=spec.data_dir)
    if "vae" in spec.families and spec.uses_betas:
        beta_sweep(data, spec.out, spec.uses_betas, spec.sets, spec.budget_fields(),
                   {"name": spec.data, **({"data_dir": spec.data_dir} if spec.data_dir else {})}, spec.device,
                   n=spec.uses_n, stop=stop)
def _run_dir(spec: CompareSpec, family: str, seed: int) -> Path:
    return spec.out / "runs" / f"{family}-seed{seed}"


def _train(spec: CompareSpec, data, family: str, seed: int, device, curve_space, ref, line, stop):
    """Train (or resume, or find finished) one (family, seed); its EMA model. Seed 0 logs the quality probes."""
    run_dir = _run_dir(spec, family, seed)
    resume = (run_dir / "checkpoints" / "latest.json").is_file()
    probe = quality_probe(data, curve_space, ref, spec.n_curve) if seed == 0 else None
    trainer = Trainer(run_config_of(spec, family, seed, data.info), data, run_dir, resume=resume, progress=False,
                      device=device, bar=line, probes=PROBES if seed == 0 else (), probe_fn=probe, stop=stop)
    trainer.fit()
    return trainer.ema


def train_in_parallel(spec: CompareSpec, jobs: list[tuple[str, int]], lines: dict, stop: StopSignal) -> None:
    """--devices: each (family, seed) trains in its own process on the next free device, as many at once as there
    are devices, with the budget and config it would have alone (the report records the placement). A signal is
    passed on to the workers, which stop at a step boundary with a checkpoint written, as a single run does."""
    ctx = multiprocessing.get_context("spawn")
    pending, running = list(jobs), {}  # running: device index -> (process, job)
    threads = max(1, torch.get_num_threads() // len(spec.devices))  # CPU workers share the cores
    failed, told = [], set()  # told: the workers already passed the signal
    while pending or running:
        for i, dev in enumerate(spec.devices):
            if i not in running and pending and not stop.requested:
                job = pending.pop(0)
                proc = ctx.Process(target=_train_worker, args=(spec, *job, dev, threads), daemon=True)
                proc.start()
                running[i] = (proc, job)
                lines[job[0]].set_postfix_str(f"seed {job[1]}: training on {dev} (process {proc.pid})")
        if stop.requested:
            pending.clear()
            for proc, _ in running.values():
                if proc.is_alive() and proc.pid not in told:  # once: a second SIGTERM would stop it at once
                    os.kill(proc.pid, signal.SIGTERM)
                    told.add(proc.pid)
        time.sleep(0.2)
        for i, (proc, job) in list(running.items()):
            if not proc.is_alive():
                proc.join()
                del running[i]
                if proc.exitcode != 0:
                    failed.append(f"{job[0]} seed {job[1]} on {spec.devices[i]} (exit code {proc.exitcode})")
    if stop.requested:
        raise Stopped(f"{stop.name} while training on {', '.join(spec.devices)}: checkpoints written")
    if failed:
        raise TrainingFailed(f"training failed in a --devices worker: {'; '.join(failed)} (its error is above)")


def _train_worker(spec: CompareSpec, family: str, seed: int, device: str, threads: int) -> None:
    """A spawned process: train one (family, seed) on `device`; a genlab error is one line on stderr and its exit
    code, a signal stops at a step boundary with a checkpoint (exit code 4)."""
    torch.set_num_threads(threads)
    try:
        with stop_on_signals() as stop:
            data = load_dataset(spec.data, data_dir=spec.data_dir)
            dev = resolve_device(device)
            spec = dataclasses.replace(spec, device=dev)  # config.json records the device it trained on
            spaces, _ = feature_spaces(data, dataset_fingerprint(data), dev, False)  # cached by the parent
            _train(spec, data, family, seed, dev, spaces[0], spaces[0].features(splits(data)[1]), None, stop)
    except GenlabError as e:
        print(f"genlab compare: {family} seed {seed} on {device}: {e}", file=sys.stderr)
        sys.exit(e.exit_code)


def write_compare_report(spec: CompareSpec, data) -> dict[str, Path]:
    """Gather every run folder's files into the report (the report reads files only)."""
    families = (*spec.families, *student_families(spec))
    inputs = collect_inputs(spec.out, families, spec.seeds)
    meta = {"data": data.name, "data_shape": list(data.info.shape), "n_train": len(data.train),
            "n_test": len(data.test), "seeds": spec.seeds,
            "budget": "per family: " + ", ".join(f"{v} {k}" if k != "budget" else f"{v} wall clock"
                                                 for k, v in spec.budget_fields().items())
            + (budget_note(spec.budget_fields()) if student_families(spec) else ""),
            "families": list(families), **({"conditional": True} if spec.conditional else {}),
            **({"placement": f"trained in parallel, one process per device: {', '.join(spec.devices)}; "
                             f"evaluated on {spec.device}"} if spec.devices else {}),
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": f"{platform.machine()} {platform.processor() or ''} {torch.get_num_threads()} threads, "
                       f"{'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU'}",
            "torch": torch.__version__}
    results = build_results(meta=meta, **inputs)
    if spec.uses:
        results["uses"] = build_uses(*collect_uses(spec.out, spec.families))
    paths = write_report(spec.out, results)
    record = {**spec.__dict__, "out": str(spec.out), "device": str(spec.device)}
    atomic_write_json(spec.out / "compare.json", {"spec": record})
    return paths
