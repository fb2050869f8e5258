"""Run by test_ddp under torchrun (2 gloo processes): rank 1 alone sees a SIGTERM during step 4 (as if the signal
reached only that process); every rank must stop after that step, rank 0 having written the checkpoint. Each rank
writes OUT/stopped-rank<R>.json with the step it stopped at and the message."""

import json
import os
import signal
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from genlab.errors import Stopped  # noqa: E402
from genlab.train import trainer as trainer_module  # noqa: E402
from genlab.train.preempt import StopSignal  # noqa: E402
from genlab.train.trainer import Trainer  # noqa: E402
from toy_family import toy_config, toy_dataset  # noqa: E402

torch.set_num_threads(1)
out = Path(sys.argv[1])
rank = int(os.environ.get("RANK", "0"))
stop = StopSignal()
real_update_ema = trainer_module.update_ema


def update_ema(ema, model, decay, step):
    real_update_ema(ema, model, decay, step)
    if rank == 1 and step == 3:  # the 4th step (steps count from 0 here)
        with stop.deferred():
            stop.handle(signal.SIGTERM)


trainer_module.update_ema = update_ema
cfg = toy_config(steps=8, batch_size=16, checkpoint_every=0, model={"noise": 0.0})
trainer = Trainer(cfg, toy_dataset(), out / "run", progress=False, device="cpu", stop=stop)
try:
    trainer.fit()
    result = {"step": trainer.step, "message": None}
except Stopped as e:
    result = {"step": trainer.step, "message": str(e), "exit_code": e.exit_code}
(out / f"stopped-rank{rank}.json").write_text(json.dumps(result))
# leave the process group together: a rank that exits while the other still holds gloo's sockets can abort
# ("terminate called without an active exception") under load
if torch.distributed.is_initialized():
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
