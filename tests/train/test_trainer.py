import json

import pytest
import torch

from genlab.errors import TrainingDiverged
from genlab.train.checkpoint import module_state, read_checkpoint
from genlab.train.distributed import DistInfo
from genlab.train.logger import read_metrics
from genlab.train.trainer import BatchSchedule, Trainer
from toy_family import toy_config, toy_dataset


def _weights(run_dir):
    _, tensors = read_checkpoint(run_dir / "checkpoints")
    return module_state("model", tensors), module_state("ema", tensors)


@pytest.mark.parametrize("two_groups", [False, True])
def test_resume_reproduces_the_uninterrupted_run_exactly(tmp_path, two_groups):
    data = toy_dataset()
    model = {"two_groups": two_groups}
    Trainer(toy_config(steps=12, model=dict(model)), data, tmp_path / "a", progress=False).fit()
    Trainer(toy_config(steps=7, model=dict(model)), data, tmp_path / "b", progress=False).fit()
    Trainer(toy_config(steps=12, model=dict(model)), data, tmp_path / "b", resume=True, progress=False).fit()
    la = [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(tmp_path / "a")]
    lb = [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(tmp_path / "b")]
    assert len(la) == 12 and la == lb  # bit-identical loss curve, no duplicated lines
    (wa, ea), (wb, eb) = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    for k in wa:
        assert torch.equal(wa[k], wb[k]) and torch.equal(ea[k], eb[k])


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = toy_dataset()
    cfg = toy_config(steps=20, model={"nan_at_step": 7})
    with pytest.raises(TrainingDiverged, match="step 7.*ckpt-00000005"):
        Trainer(cfg, data, tmp_path / "r", progress=False).fit()
    record, _ = read_checkpoint(tmp_path / "r" / "checkpoints")
    assert record["step"] == 5
    assert all(torch.isfinite(v).all() for v in _weights(tmp_path / "r")[0].values())


def test_images_budget_and_run_folder_contents(tmp_path):
    data = toy_dataset()
    res = Trainer(toy_config(images=16 * 6, sample_every=3), data, tmp_path / "r", progress=False).fit()
    assert res.step == 6 and res.images_seen == 96
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["family"] == "toy" and cfg["train"]["images"] == 96
    assert (tmp_path / "r" / "samples" / "step-00000003.png").is_file()
    assert (tmp_path / "r" / "samples" / "final.png").is_file()
    assert {"loss", "mse", "grad_norm", "images_seen"} <= set(read_metrics(tmp_path / "r")[-1])


def test_training_lowers_the_loss(tmp_path):
    res = Trainer(toy_config(steps=60, model={"noise": 0.0}), toy_dataset(), tmp_path / "r", progress=False).fit()
    log = read_metrics(tmp_path / "r")
    assert log[-1]["loss"] < 0.5 * log[0]["loss"]
    assert res.step == 60


def test_batch_schedule_shards_partition_the_global_batch():
    single = BatchSchedule(50, 8, seed=3, dist=DistInfo())
    ranks = [BatchSchedule(50, 8, seed=3, dist=DistInfo(r, 2, r)) for r in range(2)]
    for step in (0, 5, 6, 13):  # 6 steps per epoch: crosses epochs
        assert torch.equal(torch.cat([r.indices(step) for r in ranks]), single.indices(step))
    epoch = torch.cat([single.indices(s) for s in range(6)])
    assert len(set(epoch.tolist())) == 48  # no repeats within an epoch
