"""Gradient accumulation and fp16 loss scaling (train.grad_accum, train.precision=fp16)."""

import json

import pytest
import torch

from genlab.config import validate
from genlab.errors import ConfigError
from genlab.train.checkpoint import module_state, read_checkpoint
from genlab.train.logger import read_metrics
from genlab.train.trainer import Trainer
from toy_family import toy_config, toy_dataset


def _weights(run_dir):
    _, tensors = read_checkpoint(run_dir / "checkpoints")
    return module_state("model", tensors)


@pytest.mark.parametrize("two_groups", [False, True])
def test_four_micro_batches_equal_one_batch_four_times_larger(tmp_path, two_groups):
    """Batch 16 x grad_accum 4 takes the same optimizer steps as batch 64: same indices, same mean-loss gradient."""
    data = toy_dataset()
    model = {"noise": 0.0, "two_groups": two_groups}
    Trainer(toy_config(steps=6, batch_size=16, grad_accum=4, model=dict(model)), data, tmp_path / "acc",
            progress=False).fit()
    Trainer(toy_config(steps=6, batch_size=64, model=dict(model)), data, tmp_path / "big", progress=False).fit()
    wa, wb = _weights(tmp_path / "acc"), _weights(tmp_path / "big")
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-5, atol=1e-6)
    la, lb = read_metrics(tmp_path / "acc"), read_metrics(tmp_path / "big")
    losses = [v for r in (*la, *lb) for k, v in r.items() if k.endswith("loss")]
    half = len(losses) // 2
    assert losses[:half] == pytest.approx(losses[half:], rel=1e-5) and half >= 6
    assert la[-1]["images_seen"] == 6 * 64
    cfg = json.loads((tmp_path / "acc" / "config.json").read_text())
    assert cfg["train"]["grad_accum"] == 4 and cfg["effective_batch_size"] == 64


def test_accumulated_gradient_is_the_mean_loss_gradient_of_the_whole_batch():
    """With plain SGD (linear in the gradient, unlike Adam) K micro-batches step exactly as one batch of the mean loss:
    fails if each micro-batch's loss is not divided by K."""
    from genlab.models.base import TrainState
    from genlab.train.distributed import DistInfo
    from genlab.train.update import GroupUpdate

    x = torch.randn(64, 3, generator=torch.Generator().manual_seed(0))
    results = []
    for k in (1, 4):
        net = torch.nn.Linear(3, 1)
        torch.nn.init.constant_(net.weight, 0.5)
        torch.nn.init.zeros_(net.bias)
        update = GroupUpdate(lambda g, b, s, y, net=net: {"loss": ((net(b) - b.sum(1, keepdim=True)) ** 2).mean()},
                             "fp32", torch.device("cpu"), k, 0.0, DistInfo())
        update("main", torch.optim.SGD(net.parameters(), lr=0.1), x, None, TrainState(0, 0.0), None)
        results.append(net.weight.detach().clone())
    torch.testing.assert_close(results[0], results[1], rtol=1e-6, atol=1e-7)
    assert not torch.allclose(results[0], torch.full_like(results[0], 0.5))


def test_fp16_loss_scale_is_logged_and_resumes_exactly(tmp_path):
    data = toy_dataset()
    Trainer(toy_config(steps=10, precision="fp16"), data, tmp_path / "a", progress=False).fit()
    Trainer(toy_config(steps=5, precision="fp16"), data, tmp_path / "b", progress=False).fit()
    record, _ = read_checkpoint(tmp_path / "b" / "checkpoints")
    assert record["grad_scaler"]["scale"] > 0
    Trainer(toy_config(steps=10, precision="fp16"), data, tmp_path / "b", resume=True, progress=False).fit()
    la = [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(tmp_path / "a")]
    lb = [{k: v for k, v in r.items() if k != "time"} for r in read_metrics(tmp_path / "b")]
    assert la == lb and "loss_scale" in la[-1]
    wa, wb = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_fp16_skips_a_step_whose_gradients_overflow_and_halves_the_scale(tmp_path):
    """GradScaler's contract, through the trainer: an inf gradient leaves the weights as they were."""
    from genlab.train.distributed import DistInfo
    from genlab.train.update import GroupUpdate

    net = torch.nn.Linear(3, 1)
    before = net.weight.detach().clone()

    def forward(group, x, state, labels):
        return {"loss": net(x).float().sum() * 1e35}  # finite, but x the scale 65536 its gradients overflow float32

    update = GroupUpdate(forward, "fp16", torch.device("cpu"), 1, 0.0, DistInfo())
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    from genlab.models.base import TrainState

    values = update("main", opt, torch.ones(2, 3), None, TrainState(0, 0.0), None)
    assert torch.equal(net.weight, before)  # the step was skipped
    assert values["loss_scale"] == 32768.0


@pytest.mark.parametrize("key,value,match", [("grad_accum", 0, "grad_accum"), ("precision", "fp8", "fp16")])
def test_bad_accumulation_or_precision_is_a_config_error(key, value, match):
    with pytest.raises(ConfigError, match=match):
        validate(toy_config(steps=1, **{key: value}))


def test_effective_batch_larger_than_the_data_names_grad_accum(tmp_path):
    with pytest.raises(ConfigError, match="grad_accum 8"):
        Trainer(toy_config(steps=1, batch_size=16, grad_accum=8), toy_dataset(), tmp_path / "r", progress=False)
