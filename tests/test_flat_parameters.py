"""Flat parameters: the gradients, clipping and Adam steps of separate parameters."""

from __future__ import annotations

import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.vec_env import DummyVecEnv
from torch import nn

from rl_lstm import RecurrentPPO
from rl_lstm.flat_parameters import FlatParameters, flat_optimizer_state
from tests.conftest import RandomSpaceEnv


class SmallNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 4)
        self.head = nn.Linear(4, 1)

    def loss(self, x: th.Tensor) -> th.Tensor:
        return self.head(self.lstm(x)[0]).square().mean()


def twin_nets() -> tuple[SmallNet, SmallNet]:
    th.manual_seed(0)
    reference = SmallNet()
    packed = SmallNet()
    packed.load_state_dict(reference.state_dict())
    return reference, packed


def test_backward_fills_the_flat_gradient_and_adam_steps_as_on_each_parameter():
    reference, packed = twin_nets()
    flat = FlatParameters(packed.parameters())
    reference_adam = th.optim.Adam(reference.parameters(), lr=1e-2, fused=True)
    flat_adam = th.optim.Adam([flat.data], lr=1e-2, fused=True)
    for _ in range(3):
        x = th.randn(5, 2, 3)
        reference_adam.zero_grad()
        reference.loss(x).backward()
        flat.zero_grad()
        packed.loss(x).backward()
        for ours, expected in zip(packed.parameters(), reference.parameters(), strict=True):
            assert th.equal(ours.grad, expected.grad)
        assert th.equal(flat.grad, th.cat([p.grad.reshape(-1) for p in reference.parameters()]))
        reference_adam.step()
        flat_adam.step()
        for ours, expected in zip(packed.parameters(), reference.parameters(), strict=True):
            assert th.equal(ours, expected)


@pytest.mark.parametrize("max_norm", [1e-3, 1e3])
def test_clipping_matches_torch(max_norm):
    reference, packed = twin_nets()
    flat = FlatParameters(packed.parameters())
    x = th.randn(5, 2, 3)
    reference.loss(x).backward()
    packed.loss(x).backward()
    norm = flat.clip_grad_norm(max_norm)
    expected_norm = th.nn.utils.clip_grad_norm_(reference.parameters(), max_norm)
    assert norm.item() == pytest.approx(expected_norm.item(), rel=1e-6)
    for ours, expected in zip(packed.parameters(), reference.parameters(), strict=True):
        assert th.allclose(ours.grad, expected.grad, rtol=1e-6, atol=0)


def test_attach_repairs_replaced_data_and_gradients():
    _, packed = twin_nets()
    flat = FlatParameters(packed.parameters())
    adam = th.optim.Adam([flat.data], lr=1e-2)
    packed.head.weight.data = th.ones(1, 4)  # new storage, outside the buffer
    adam.zero_grad()  # sets the flat buffer's .grad to None
    packed.head.bias.grad = None
    flat.attach()
    assert th.equal(packed.head.weight, th.ones(1, 4))
    packed.loss(th.randn(5, 2, 3)).backward()
    assert flat.data.grad is flat.grad and bool(flat.grad.abs().sum() > 0)
    adam.step()
    assert not th.equal(packed.head.weight, th.ones(1, 4))  # stepped through the buffer
    assert packed.head.bias.grad.data_ptr() == flat.grad[-1:].data_ptr()


def test_per_parameter_optimizer_state_converts_to_the_flat_one():
    reference, packed = twin_nets()
    reference_adam = th.optim.Adam(reference.parameters(), lr=1e-2)
    for _ in range(2):
        reference_adam.zero_grad()
        reference.loss(th.randn(5, 2, 3)).backward()
        reference_adam.step()
    packed.load_state_dict(reference.state_dict())
    flat = FlatParameters(packed.parameters())
    flat_adam = th.optim.Adam([flat.data], lr=1e-2)
    flat_adam.load_state_dict(
        flat_optimizer_state(reference_adam.state_dict(), list(packed.parameters()))
    )
    x = th.randn(5, 2, 3)
    reference_adam.zero_grad()
    reference.loss(x).backward()
    reference_adam.step()
    flat.zero_grad()
    packed.loss(x).backward()
    flat_adam.step()
    for ours, expected in zip(packed.parameters(), reference.parameters(), strict=True):
        assert th.allclose(ours, expected, rtol=0, atol=1e-7)


def test_policy_stays_packed_with_its_optimizer_state_when_moved():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))] * 2)
    model = RecurrentPPO("MlpLstmPolicy", env, n_steps=8, batch_size=16, n_epochs=1, seed=0)
    model.learn(16)
    policy = model.policy
    moments = policy.optimizer.state_dict()["state"][0]["exp_avg"].clone()
    policy.double()  # new storage for every parameter
    flat = policy.flat_parameters
    assert flat.data.dtype == th.float64 and policy.optimizer.param_groups[0]["params"] == [
        flat.data
    ]
    start, end = flat.data.data_ptr(), flat.data.data_ptr() + flat.data.numel() * 8
    assert all(start <= p.data_ptr() < end for p in policy.parameters())
    assert th.equal(policy.optimizer.state_dict()["state"][0]["exp_avg"], moments.double())
