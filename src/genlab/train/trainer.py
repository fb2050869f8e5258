"""The trainer shared by every family: loop, budget, AdamW with warm-up, clipping, EMA, AMP, DDP,
checkpoints and logging. Families supply only their maths (see genlab.models.base)."""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from genlab import __version__
from genlab.config import RunConfig
from genlab.data.dataset import Dataset
from genlab.device import resolve_device
from genlab.errors import CheckpointError, ConfigError, Stopped
from genlab.models.base import TrainState
from genlab.models.registry import build_model
from genlab.train.artifacts import save_run_artifacts
from genlab.train.budget import Budget
from genlab.train.checkpoint import (
    check_checkpoint_format,
    check_tensors,
    module_state,
    read_checkpoint,
    restore_optimizer,
    save_checkpoint,
)
from genlab.train.config_file import write_config_file
from genlab.train.diagnostics import collapsed, diagnosis_line, training_diagnostics
from genlab.train.distributed import any_rank, barrier, join, rank_max
from genlab.train.ema import make_ema, update_ema
from genlab.train.logger import MetricsLogger
from genlab.train.lr_schedule import lr_factor
from genlab.train.preempt import CheckpointClock, StopSignal
from genlab.train.schedule import BatchSchedule, step_seed
from genlab.train.trackers import tracker_names
from genlab.train.update import GroupUpdate

__all__ = ["BatchSchedule", "TrainResult", "Trainer", "step_seed"]


SCATTER_POINTS = 1000  # points in a 2-D run's scatters (64 hid holes and strays); images: train.n_grid


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    images_seen: int
    seconds: float
    last_losses: dict[str, float]
    diagnosis: str | None = None  # the end-of-run diagnostics in one line (2-D mixtures), collapse said in words


class Trainer:
    """Trains one model of any family on one dataset into one run folder."""

    def __init__(self, cfg: RunConfig, data: Dataset, run_dir: Path, *, resume: bool = False,
                 progress: bool = True, device: str | None = None, bar: tqdm | None = None,
                 probes: tuple[float, ...] = (), probe_fn=None, stop: StopSignal | None = None):
        """`bar`: an outside progress bar to drive (compare shows one line per family). `probe_fn(ema)`
        -> dict is called when training passes each fraction in `probes` of the budget; its scalars are
        logged as probe/<name> (compare's quality-against-training-time curve) and its time is not
        charged to the budget. `stop`: the flag SIGTERM/SIGINT raise (see train.preempt); training then
        stops at the next step boundary with a checkpoint written."""
        self.cfg, self.data, self.run_dir = cfg, data, Path(run_dir)
        self.stop = stop or StopSignal()
        self.outer_bar, self.probes, self.probe_fn = bar, sorted(probes), probe_fn
        t = cfg.train
        self.dist, self.device = join(resolve_device(device or t.device))
        self.progress = progress and self.dist.is_main
        self.budget = Budget.from_config(t)
        # Subnormal floats (e.g. a decoder's tiny early probabilities) slow CPU kernels 20-50x: flush them.
        torch.set_flush_denormal(True)
        torch.manual_seed(t.seed)
        self.model = build_model(cfg, data.info).to(self.device)
        self.ema = make_ema(self.model)
        groups = self.model.optimizer_groups()
        try:
            self.optimizers = {
                name: torch.optim.AdamW(g["params"], lr=g.get("lr", t.lr), betas=tuple(g.get("betas", t.betas)),
                                        weight_decay=g.get("weight_decay", t.weight_decay))
                for name, g in groups.items()}
        except ValueError as e:  # AdamW refusing a learning rate, betas or weight decay from the config
            raise ConfigError(f"{cfg.family}: invalid optimizer setting ({e})") from None
        self.base_lr = {name: opt.param_groups[0]["lr"] for name, opt in self.optimizers.items()}
        self.net = self.model
        if self.dist.enabled:
            self.net = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                find_unused_parameters=len(groups) > 1)
        self.update = GroupUpdate(self.net, t.precision, self.device, t.grad_accum, t.grad_clip, self.dist)
        self.train_x = data.train.to(self.device)
        # a conditional model gets each batch's labels, indexed like its images (so a resume sees the same ones)
        self.train_y = None
        if self.model.conditional:
            if data.train_labels is None:
                raise ConfigError(f"--conditional needs data with class labels; '{data.name}' has none")
            self.train_y = data.train_labels.long().to(self.device)
        self.batches = BatchSchedule(len(self.train_x), t.batch_size, t.seed, self.dist, t.grad_accum)
        self.step, self.images_seen, self.elapsed = 0, 0, 0.0
        self.started_groups: dict[str, int] = {}  # group -> the step it first trained (its warm-up starts there)
        self.last_checkpoint: Path | None = None
        self.running: dict[str, list[float]] = {}  # loss terms since the last log line (checkpointed with the run)
        self.last_losses: dict[str, float] = {}
        self.diag: tuple[int, dict[str, float]] | None = None  # (step, the last diagnostics logged)
        if resume:
            self._resume()
        # a run resumed with its budget used up: its end-of-run files were written before its last checkpoint
        self.finished = self.budget.done(self.step, self.images_seen, self.elapsed)
        self.logger = MetricsLogger(self.run_dir, enabled=self.dist.is_main, truncate_after=self.step,
                                    trackers=tracker_names(t.trackers), config=cfg.to_json())

    # ---- checkpoints ---------------------------------------------------------------------------
    def _meta(self) -> dict:
        return {"config": self.cfg.to_json(), "data": self.data.info.to_json(), "images_seen": self.images_seen,
                "elapsed_seconds": self.elapsed, "started_groups": self.started_groups, "log_window": self.running,
                "rng": {"scheme": "torch.manual_seed(step_seed(seed, step, rank)) each iteration",
                        "seed": self.cfg.train.seed},
                "world_size": self.dist.world_size, **self.update.state_dict(),
                "versions": {"genlab": __version__, "torch": torch.__version__, "python": platform.python_version()}}

    def save(self) -> None:
        if self.dist.is_main:
            self.last_checkpoint = save_checkpoint(self.run_dir / "checkpoints", self.step, self.model, self.ema,
                                                   self.optimizers, self._meta(), self.cfg.train.keep_checkpoints)
        barrier(self.dist)

    def _resume(self) -> None:
        ckpt_dir = self.run_dir / "checkpoints"
        record, tensors = read_checkpoint(ckpt_dir)
        check_checkpoint_format(record, ckpt_dir)
        where = ckpt_dir / record["tensors_file"]
        family = record["config"].get("family") if isinstance(record.get("config"), dict) else None
        if family != self.cfg.family:
            raise ConfigError(f"{self.run_dir}: holds a {family} run, not {self.cfg.family}")
        for prefix, module in (("model", self.model), ("ema", self.ema)):
            check_tensors(module, module_state(prefix, tensors), f"{where}: '{prefix}' weights")
            module.load_state_dict(module_state(prefix, tensors))
        try:  # the record is a file the user may have edited: any malformed field is a CheckpointError
            for name, opt in self.optimizers.items():
                restore_optimizer(name, opt, record, tensors)
            self.step, self.images_seen = record["step"], int(record["images_seen"])
            self.elapsed = float(record["elapsed_seconds"])
            self.started_groups = {str(k): int(v) for k, v in record["started_groups"].items()}
            self.running = {str(k): [float(x) for x in v] for k, v in record.get("log_window", {}).items()}
            self.update.load_state_dict(record)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError) as e:
            raise CheckpointError(f"{where.with_suffix('.json')}: malformed training state "
                                  f"({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None
        self.last_checkpoint = where.with_suffix("")

    # ---- the loop --------------------------------------------------------------------------------
    def _set_lr(self, group: str, progress: float) -> float:
        """Linear warm-up counted from the group's first step (a later stage, e.g. latent diffusion's second,
        warms up its fresh optimizer too), times the schedule's decay over the group's share of the budget."""
        t = self.cfg.train
        warm = t.warmup_steps
        factor = min(1.0, (self.step - self.started_groups[group] + 1) / warm) if warm > 0 else 1.0
        factor *= lr_factor(t.lr_schedule, progress, self.model.group_span(group))
        for g in self.optimizers[group].param_groups:
            g["lr"] = self.base_lr[group] * factor
        return factor

    def _state(self) -> TrainState:
        return TrainState(self.step, self.budget.progress(self.step, self.images_seen, self.elapsed))

    def _run_probes(self) -> None:
        progress = self.budget.progress(self.step, self.images_seen, self.elapsed)
        while self.probes and progress >= self.probes[0] - 1e-9:
            self.probes.pop(0)
            if self.probe_fn is not None and self.dist.is_main:
                values = self.probe_fn(self.ema)
                self.logger.log(self.step, {**{f"probe/{k}": v for k, v in values.items()}, "time": self.elapsed,
                                            "images_seen": self.images_seen})

    def save_samples(self, tag: str) -> None:
        if not self.dist.is_main:
            return
        from genlab.visual import save_samples_figure

        g = torch.Generator(self.device).manual_seed(self.cfg.train.seed)
        n = self.cfg.train.n_grid if self.data.kind == "image" else max(self.cfg.train.n_grid, SCATTER_POINTS)
        x = self.ema.sample(n, generator=g)
        save_samples_figure(x, self.run_dir / "samples" / f"{tag}.png", self.data, title=tag)

    def fit(self) -> TrainResult:
        """Train to the end of the budget (nothing to do for a finished run). A signal while training stops it
        at the next step boundary with a checkpoint written (Stopped, exit code 4)."""
        if not self.finished:
            with self.stop.deferred():
                self._fit()
            if self.stop.requested:
                raise Stopped(f"{self.stop.name} as training finished: the run is complete")
        elif self.outer_bar is not None:
            self.outer_bar.reset(total=round(self.budget.total))
            self.outer_bar.update(round(self.budget.total))
        self.logger.close()
        note = diagnosis_line(self.cfg.family, *self.diag) if self.diag and self.diag[0] == self.step else None
        return TrainResult(self.run_dir, self.step, self.images_seen, self.elapsed, self.last_losses, note)

    def _diagnose(self) -> None:
        """Log the family diagnostics (diag/*, with diag/collapsed = 1 when fewer than half the modes are covered)."""
        g = torch.Generator(self.device).manual_seed(self.cfg.train.seed)
        diag = training_diagnostics(self.ema, self.data, g)
        if diag:
            diag["collapsed"] = float(collapsed(diag["modes_covered"], diag["modes_total"]))
            self.logger.log(self.step, {f"diag/{k}": v for k, v in diag.items()})
            self.diag = (self.step, diag)

    def _fit(self) -> None:
        t = self.cfg.train
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.dist.is_main:
            write_config_file(self.run_dir, self.cfg, self.data.info, self.budget.describe())
        unit = {"steps": "step", "images": "img", "seconds": "s"}[self.budget.kind]
        bar = self.outer_bar or tqdm(total=round(self.budget.total), unit=unit, disable=not self.progress,
                                     dynamic_ncols=True, desc=f"{self.cfg.family} on {self.data.name}")
        bar.unit = unit
        bar.reset(total=round(self.budget.total))
        bar.update(round(self.budget.used(self.step, self.images_seen, self.elapsed)))
        start = self.budget.progress(self.step, self.images_seen, self.elapsed)
        # a resumed run keeps the probes it has not passed (the test matches _run_probes')
        self.probes = [f for f in self.probes if start == 0 or f > start + 1e-9]
        clock = CheckpointClock(t.checkpoint_minutes)
        self.model.train()
        tick = time.perf_counter()
        done = False
        while not done:
            torch.manual_seed(step_seed(t.seed, self.step, self.dist.rank))
            state = self._state()
            idx = self.batches.indices(self.step).to(self.device)
            batch = self.train_x[idx]
            labels = None if self.train_y is None else self.train_y[idx]
            for group in self.model.plan(state):
                if group not in self.started_groups:
                    self.model.on_group_start(group, self.data, state)
                    self.started_groups[group] = self.step
                lr_factor = self._set_lr(group, state.progress)
                values = self.update(group, self.optimizers[group], batch, labels, state, self.last_checkpoint)
                for k, v in values.items():
                    self.running.setdefault(f"{group}/{k}" if group != "main" else k, []).append(v)
            update_ema(self.ema, self.model, t.ema_decay, self.step)
            self.step += 1
            self.images_seen += t.batch_size * t.grad_accum
            now = time.perf_counter()
            self.elapsed += now - tick
            if self.budget.kind == "seconds":  # ranks' clocks differ: all take the slowest's, so they stop at
                self.elapsed = rank_max([self.elapsed], self.dist, self.device)[0]  # one step, share the lr
            done = self.budget.done(self.step, self.images_seen, self.elapsed)
            bar.update(round(self.budget.used(self.step, self.images_seen, self.elapsed)) - bar.n)
            if self.step % t.log_every == 0 or done:
                self.last_losses = {k: sum(v) / len(v) for k, v in self.running.items()}
                self.running = {}
                self.logger.log(self.step, {**self.last_losses, "images_seen": self.images_seen,
                                            "time": self.elapsed, "lr_factor": lr_factor})
                bar.set_postfix({k: f"{v:.4g}" for k, v in list(self.last_losses.items())[:4]}, refresh=False)
            if self.dist.is_main and t.eval_every and (self.step % t.eval_every == 0 or done):
                self._diagnose()  # also at the last step: the end-of-run verdict on collapse
            if t.sample_every and self.step % t.sample_every == 0:
                self.save_samples(f"step-{self.step:08d}")
            self._run_probes()
            # everything this step logs is on disk before its checkpoint, so a resume from it repeats nothing
            stop, timed = any_rank([self.stop.requested, clock.due()], self.dist, self.device)
            if not done and (stop or timed or (t.checkpoint_every and self.step % t.checkpoint_every == 0)):
                self.save()
                clock.reset()
            if stop and not done:
                raise Stopped(f"{self.stop.name or 'a signal to another process'} at step {self.step} "
                              f"(of {self.budget.describe()}): checkpoint written")
            tick = time.perf_counter()  # sampling and checkpointing do not count against the budget
        if self.outer_bar is None:
            bar.close()
        self.save_samples("final")
        if self.dist.is_main:
            save_run_artifacts(self.ema, self.data, self.run_dir, seed=t.seed)
        self.save()  # last: a checkpoint with the budget used up marks the run finished, its pictures written
