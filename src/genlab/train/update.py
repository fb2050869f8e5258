"""One optimizer step of one group: K micro-batches with gradient accumulation, mixed precision (bf16 autocast, or
fp16 autocast with a dynamic loss scale), the NaN guard, clipping. The trainer owns when it is called."""

from __future__ import annotations

import contextlib
import math

import torch

from genlab.errors import TrainingDiverged
from genlab.models.base import TrainState
from genlab.train.distributed import DistInfo, all_finite


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of `train.precision`: auto is bf16 on CUDA and fp32 (no autocast) on CPU."""
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return torch.float16 if precision == "fp16" else None


class GroupUpdate:
    """Runs `net(group, micro_batch, state, labels)` on each of K micro-batches and steps the group's optimizer once.

    Accumulation: each micro-batch's loss is divided by K, so the summed gradients are those of the mean loss over
    the whole effective batch (a run with batch B and K micro-batches equals one with batch K*B, up to float
    rounding, for a family whose loss is a per-example mean). Under DDP, gradients are all-reduced only on the last
    micro-batch (`no_sync` on the others). fp16: the loss is multiplied by a dynamic scale before backward and the
    gradients unscaled before clipping; a step whose gradients overflow is skipped and the scale halved
    (Micikevicius et al. 2018, torch.amp.GradScaler), and the scale travels in the checkpoint."""

    def __init__(self, net, precision: str, device: torch.device, grad_accum: int, grad_clip: float,
                 dist: DistInfo):
        self.net, self.device, self.accum, self.clip, self.dist = net, device, grad_accum, grad_clip, dist
        self.dtype = autocast_dtype(precision, device)
        self.scaler = torch.amp.GradScaler(device.type) if self.dtype is torch.float16 else None

    def state_dict(self) -> dict:
        return {} if self.scaler is None else {"grad_scaler": self.scaler.state_dict()}

    def load_state_dict(self, record: dict) -> None:
        if self.scaler is not None and "grad_scaler" in record:
            self.scaler.load_state_dict(record["grad_scaler"])

    def __call__(self, group: str, opt: torch.optim.Optimizer, batch: torch.Tensor, labels: torch.Tensor | None,
                 state: TrainState, last_checkpoint) -> dict[str, float]:
        opt.zero_grad(set_to_none=True)
        sums: dict[str, torch.Tensor] = {}
        micro = batch.chunk(self.accum)
        micro_labels = labels.chunk(self.accum) if labels is not None else [None] * len(micro)
        for i, (x, y) in enumerate(zip(micro, micro_labels, strict=True)):
            sync = i == len(micro) - 1 or not hasattr(self.net, "no_sync")
            with contextlib.nullcontext() if sync else self.net.no_sync():
                with torch.autocast(self.device.type, dtype=self.dtype or torch.float32,
                                    enabled=self.dtype is not None):
                    terms = self.net(group, x, state, y)
                loss = terms["loss"] / len(micro)
                for k, v in terms.items():
                    sums[k] = sums.get(k, 0) + v.detach().float().reshape(()) / len(micro)
                (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
        # one device-to-host copy for all terms (a sync per term would stall CUDA every step)
        values = dict(zip(sums, torch.stack(list(sums.values())).tolist(), strict=True))
        self._guard(values, group, state, last_checkpoint)
        if self.scaler is not None:
            self.scaler.unscale_(opt)
        if self.clip > 0:
            params = [p for g in opt.param_groups for p in g["params"]]
            values["grad_norm"] = float(torch.nn.utils.clip_grad_norm_(params, self.clip))
        if self.scaler is not None:
            self.scaler.step(opt)  # skipped when the unscaled gradients hold an inf or NaN
            self.scaler.update()
            values["loss_scale"] = float(self.scaler.get_scale())
        else:
            opt.step()
        return values

    def _guard(self, values: dict[str, float], group: str, state: TrainState, last_checkpoint) -> None:
        """Stop every rank together on a non-finite loss term, naming it and the checkpoint to go back to."""
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if not all_finite(not bad, self.dist, self.device):
            where = f"'{bad[0]}' = {values[bad[0]]}" if bad else "on another process"
            kept = f"last good checkpoint: {last_checkpoint}" if last_checkpoint else "no checkpoint yet"
            raise TrainingDiverged(f"training diverged: loss {where} (group '{group}') at step {state.step}; "
                                   f"stopped, {kept}")
