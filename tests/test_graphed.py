"""A training step replayed as a CUDA graph (``gapkit.graphed``): the plain call elsewhere,
and on CUDA the same numbers as the eager step. The CUDA cases run in the GPU check
(``benchmarks/gpu/check.sh``); tests/test_profiles.py replays every kind of full
configuration."""

import subprocess
import sys

import pytest
import torch

from gapkit import graphed


def toy_training(device: torch.device, steps: int):
    """A linear model trained with a fused, capturable AdamW whose learning rate a schedule
    doubles every step, on inputs that differ every step: a replay that read stale inputs
    or a stale learning rate would end elsewhere."""
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1).to(device)
    settings = graphed.optimizer_settings(2.0**-10, device)  # as gapkit.train's
    optimizer = torch.optim.AdamW([{"params": model.parameters(), **settings}], fused=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 2.0 ** step)

    def one_step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        optimizer.step()
        return loss

    step = graphed.GraphedStep(one_step, device)
    inputs = torch.randn(steps, 16, 8, generator=torch.Generator().manual_seed(1))
    losses = []
    for x in inputs:
        losses.append(step(x.to(device), x.sum(dim=1, keepdim=True).to(device)).item())
        schedule.step()
    return step, losses, [p.detach().cpu() for p in model.parameters()]


def test_only_cuda_replays_and_the_variable_turns_it_off(monkeypatch):
    monkeypatch.delenv("GAPKIT_CUDA_GRAPHS", raising=False)
    assert graphed.replayed_on(torch.device("cuda", 0))
    assert not graphed.replayed_on(torch.device("cpu"))
    assert not graphed.replayed_on(torch.device("mps"))
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "0")
    assert not graphed.replayed_on(torch.device("cuda", 0))


def test_off_cuda_the_step_is_only_called(monkeypatch):
    monkeypatch.delenv("GAPKIT_CUDA_GRAPHS", raising=False)
    calls, returned = [], []

    def step(x):
        calls.append(x)
        returned.append(x * 2)
        return returned[-1]

    wrapped = graphed.GraphedStep(step, torch.device("cpu"))
    for i in range(graphed.EAGER_STEPS + 3):
        assert wrapped(torch.tensor(float(i))) is returned[-1]  # step's own tensor
    assert [x.item() for x in calls] == list(range(graphed.EAGER_STEPS + 3))
    assert wrapped.captured is False and not wrapped.enabled
    assert wrapped.calls == graphed.EAGER_STEPS + 3
    # off CUDA an optimizer takes the plain float learning rate, and is not capturable
    settings = graphed.optimizer_settings(0.5, torch.device("cpu"))
    assert settings == {"lr": 0.5, "capturable": False} and type(settings["lr"]) is float
    _, losses, _ = toy_training(torch.device("cpu"), graphed.EAGER_STEPS + 3)
    assert losses[-1] < losses[0]  # and the toy trains, so that its CUDA twin tests something


def test_a_replay_takes_only_inputs_shaped_as_the_captured_ones():
    static = [torch.zeros(4, 3), torch.zeros(4, dtype=torch.long)]
    graphed._copy_into(static, (torch.ones(4, 3), torch.arange(4)))
    assert static[0].sum() == 12 and static[1].tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match=r"got \(1, 3\) torch.float32 for \(4, 3\)"):
        graphed._copy_into(static, (torch.ones(1, 3), torch.arange(4)))  # would broadcast
    with pytest.raises(ValueError, match="torch.int32 for"):
        graphed._copy_into(static, (torch.ones(4, 3), torch.arange(4, dtype=torch.int32)))
    with pytest.raises(ValueError):  # one input short
        graphed._copy_into(static, (torch.ones(4, 3),))


def test_cuda_a_replayed_step_computes_what_the_eager_step_computes(cuda_graphs,
                                                                   monkeypatch):
    steps = graphed.EAGER_STEPS + 5
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "0")
    eager, eager_losses, eager_weights = toy_training(torch.device("cuda"), steps)
    monkeypatch.setenv("GAPKIT_CUDA_GRAPHS", "1")
    replayed, losses, weights = toy_training(torch.device("cuda"), steps)
    assert replayed.captured and not eager.captured
    # the same kernels, so the same numbers: to the last bit is checked apart, as a report
    # (tests/test_profiles.py), so that this check does not stop the GPU check on a last bit
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(eager_losses))
    torch.testing.assert_close(weights, eager_weights)


# In a process of its own, so that a failed capture cannot touch the other CUDA tests.
CANNOT_BE_CAPTURED = """
import torch
from gapkit import graphed
weight = torch.zeros(1, device="cuda")
def waits_for_the_gpu(x):  # .item() waits for the GPU: no capture allows it
    return weight.add_(x.sum()) if weight.item() < 1e9 else weight
step = graphed.GraphedStep(waits_for_the_gpu, torch.device("cuda"))
for _ in range(graphed.EAGER_STEPS):
    step(torch.ones(2, device="cuda"))
print("eager", weight.item(), flush=True)
step(torch.ones(2, device="cuda"))
"""


def test_cuda_a_step_that_cannot_be_captured_names_the_way_out(cuda_graphs, monkeypatch):
    monkeypatch.delenv("GAPKIT_CUDA_GRAPHS", raising=False)
    done = subprocess.run([sys.executable, "-c", CANNOT_BE_CAPTURED], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and f"eager {2.0 * graphed.EAGER_STEPS}" in done.stdout
    assert "could not be captured as a CUDA graph" in done.stderr
    assert "GAPKIT_CUDA_GRAPHS=0" in done.stderr
