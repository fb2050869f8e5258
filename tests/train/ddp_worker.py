"""Run by test_ddp under torchrun (2 gloo processes) and directly (1 process): trains the toy family
and writes this process's final weights to OUT/rank<R>.safetensors."""

import os
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from genlab.train.trainer import Trainer  # noqa: E402
from toy_family import toy_config, toy_dataset  # noqa: E402

torch.set_num_threads(1)
out = Path(sys.argv[1])
two_groups = len(sys.argv) > 2 and sys.argv[2] == "two"
cfg = toy_config(steps=8, batch_size=16, checkpoint_every=0, model={"noise": 0.0, "two_groups": two_groups})
trainer = Trainer(cfg, toy_dataset(), out / "run", progress=False, device="cpu")
trainer.fit()
rank = int(os.environ.get("RANK", "0"))
save_file({k: v.contiguous() for k, v in trainer.model.state_dict().items()}, str(out / f"rank{rank}.safetensors"))
# leave the process group together (a rank exiting while the other still holds gloo's sockets can abort)
if torch.distributed.is_initialized():
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
