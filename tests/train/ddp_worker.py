"""Run by test_ddp under torchrun (2 gloo processes, on one "node" or two) and directly (1 process): trains the toy
family and writes this process's final weights to OUT/rank<R>.safetensors.

Arguments: OUT one|two [key=value ...]: integer train options (steps, batch_size, grad_accum, checkpoint_every),
budget=<duration> (instead of steps) and lr_schedule=<name>,
noise=<float> for the toy's input noise, resume=1 to resume OUT/run, kill_at=<step> to SIGKILL rank 1 during that
step (a preempted node: torchrun then takes the other rank down)."""

import os
import signal
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from genlab.train import trainer as trainer_module  # noqa: E402
from genlab.train.trainer import Trainer  # noqa: E402
from toy_family import toy_config, toy_dataset  # noqa: E402

torch.set_num_threads(1)
out = Path(sys.argv[1])
two_groups = len(sys.argv) > 2 and sys.argv[2] == "two"
opts = dict(a.split("=", 1) for a in sys.argv[3:])
noise = float(opts.pop("noise", 0.0))
resume = opts.pop("resume", "0") == "1"
kill_at = int(opts.pop("kill_at", -1))
text = {k: opts.pop(k) for k in ("budget", "lr_schedule") if k in opts}
train = {"batch_size": 16, "checkpoint_every": 0, **({} if "budget" in text else {"steps": 8}), **text,
         **{k: int(v) for k, v in opts.items()}}
rank = int(os.environ.get("RANK", "0"))
real_update_ema = trainer_module.update_ema


def update_ema(ema, model, decay, step):
    real_update_ema(ema, model, decay, step)
    if rank == 1 and step == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


trainer_module.update_ema = update_ema
cfg = toy_config(**train, model={"noise": noise, "two_groups": two_groups})
trainer = Trainer(cfg, toy_dataset(), out / "run", progress=False, device="cpu", resume=resume)
trainer.fit()
save_file({k: v.contiguous() for k, v in trainer.model.state_dict().items()}, str(out / f"rank{rank}.safetensors"))
(out / f"steps-rank{rank}.txt").write_text(str(trainer.step))
# leave the process group together (a rank exiting while the other still holds gloo's sockets can abort)
if torch.distributed.is_initialized():
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
