"""Policies: every space trains and predicts, the optimizer and acting follow the weights."""

from __future__ import annotations

import numpy as np
import pytest
import sb3_contrib
import torch as th
from gymnasium import spaces
from stable_baselines3.common.vec_env import DummyVecEnv

from rl_lstm import RecurrentPPO
from rl_lstm.distributions import CategoricalDistribution
from tests.conftest import RandomSpaceEnv

OBSERVATION_SPACES = {
    "multi-discrete": ("MlpLstmPolicy", spaces.MultiDiscrete([3, 4, 5])),
    "multi-binary": ("MlpLstmPolicy", spaces.MultiBinary(4)),
    "discrete": ("MlpLstmPolicy", spaces.Discrete(6)),
    "small-image": ("CnnLstmPolicy", spaces.Box(0, 255, (7, 7, 3), np.uint8)),
    "large-image": ("CnnLstmPolicy", spaces.Box(0, 255, (40, 40, 1), np.uint8)),
    "dict": (
        "MultiInputLstmPolicy",
        spaces.Dict(
            {
                "view": spaces.Box(0, 255, (5, 5, 3), np.uint8),
                "target": spaces.Discrete(3),
                "position": spaces.Box(-1, 1, (2,), np.float32),
            }
        ),
    ),
}
ACTION_SPACES = {
    "discrete": spaces.Discrete(3),
    "multi-discrete": spaces.MultiDiscrete([2, 3]),
    "multi-binary": spaces.MultiBinary(3),
    "box": spaces.Box(-1, 1, (2,), np.float32),
}


@pytest.mark.parametrize("observation", OBSERVATION_SPACES)
def test_observation_spaces_train_and_predict(observation):
    policy, observation_space = OBSERVATION_SPACES[observation]
    env = DummyVecEnv([lambda: RandomSpaceEnv(observation_space, spaces.Discrete(2))] * 2)
    model = RecurrentPPO(
        policy, env, n_steps=8, batch_size=16, n_epochs=1, policy_kwargs={"lstm_hidden_size": 8}
    )
    model.learn(16)
    obs = env.reset()
    actions, state = model.predict(obs, episode_start=np.ones(2, dtype=bool))
    assert actions.shape == (2,) and state[0].shape == (1, 2, 8)


@pytest.mark.parametrize("action", ACTION_SPACES)
def test_action_spaces_train_and_predict(action):
    action_space = ACTION_SPACES[action]
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), action_space)] * 2)
    model = RecurrentPPO(
        "MlpLstmPolicy", env, n_steps=8, batch_size=16, policy_kwargs={"lstm_hidden_size": 8}
    )
    model.learn(16)
    actions, _ = model.predict(env.reset())
    assert actions.shape == (2, *action_space.shape)
    assert all(action_space.contains(a.astype(action_space.dtype)) for a in actions)


def test_unsupported_lstm_kwargs_are_named():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))])
    with pytest.raises(ValueError, match=r"lstm_kwargs \['dropout'\] are not supported"):
        RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_kwargs": {"dropout": 0.1}})


@pytest.mark.parametrize(
    ("optimizer_class", "optimizer_kwargs"),
    [(th.optim.Adam, None), (th.optim.Adam, {"eps": 1e-7}), (th.optim.AdamW, None)],
)
def test_optimizer_defaults_are_sb3_contribs(optimizer_class, optimizer_kwargs):
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))])
    policy_kwargs = {"optimizer_class": optimizer_class, "optimizer_kwargs": optimizer_kwargs}
    ours = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs=policy_kwargs).policy.optimizer
    theirs = sb3_contrib.RecurrentPPO("MlpLstmPolicy", env, policy_kwargs=policy_kwargs)
    expected = theirs.policy.optimizer.param_groups[0]
    assert type(ours) is optimizer_class
    for setting in ("lr", "eps", "betas", "weight_decay", "amsgrad"):
        assert ours.param_groups[0][setting] == expected[setting], setting


def reference_env():
    return DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))])


def stepped_twins(optimizer_kwargs=None):
    """Two identical policies with identical gradients in their flat buffers."""
    env = reference_env()
    policy_kwargs = {"lstm_hidden_size": 8, "optimizer_kwargs": optimizer_kwargs}
    twins = [
        RecurrentPPO("MlpLstmPolicy", env, policy_kwargs=policy_kwargs, seed=0).policy
        for _ in range(2)
    ]
    gradients = th.Generator().manual_seed(0)
    for _ in range(3):
        gradient = th.randn(twins[0].flat_parameters.grad.shape, generator=gradients)
        for policy in twins:
            policy.flat_parameters.grad.copy_(gradient)
        yield twins


def test_acting_follows_weights_after_optimizer_steps():
    policy, _ = next(stepped_twins())
    obs, states = th.randn(1, 3), policy.initial_state(1)
    with th.no_grad():
        before = policy.act(obs, states).values
        for _ in range(2):  # the first step makes Adam's state
            policy.optimizer.step()
        fresh = RecurrentPPO(
            "MlpLstmPolicy", reference_env(), policy_kwargs={"lstm_hidden_size": 8}, seed=5
        ).policy
        fresh.load_state_dict(policy.state_dict())
        after = policy.act(obs, states)
        expected = fresh.act(obs, states)
    assert not th.equal(after.values, before)
    assert th.equal(after.values, expected.values)
    assert th.equal(after.gate_activations, expected.gate_activations)


def test_acting_follows_weights_loaded_or_changed_in_place():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))] * 2)
    first, second = (
        RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 8}, seed=seed)
        for seed in (0, 1)
    )
    obs = th.randn(2, 3, device=first.device)
    states = first.policy.initial_state(2)

    def values(model):
        with th.no_grad():
            return model.policy.act(obs, states).values

    before = values(first)
    first.policy.load_state_dict(second.policy.state_dict())
    assert th.equal(values(first), values(second)) and not th.equal(before, values(first))
    with th.no_grad():
        first.policy.lstm_critic.bias_hh_l0.add_(1.0)
        second.policy.lstm_critic.bias_hh_l0.add_(1.0)
        first.policy.lstm_actor.weight_ih_l0.mul_(0.5)
    assert th.equal(values(first), values(second))  # the critic LSTM's edit is read at once
    third = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 8}, seed=2)
    third.policy.load_state_dict(first.policy.state_dict())
    with th.no_grad():
        actions = [model.policy.act(obs, states, deterministic=True) for model in (first, third)]
    assert th.equal(actions[0].gate_activations, actions[1].gate_activations)


def test_a_user_callback_keeps_torchs_argument_checks():
    def check_still_validates(_locals, _globals):
        with pytest.raises(ValueError):
            th.distributions.Normal(th.zeros(1), -th.ones(1))  # a negative scale
        return True

    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Box(-1, 1, (2,)))])
    model = RecurrentPPO("MlpLstmPolicy", env, n_steps=8, policy_kwargs={"lstm_hidden_size": 8})
    model.learn(16, callback=check_still_validates)


def test_discrete_actions_use_rl_lstms_categorical_distribution():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))])
    model = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 8})
    assert type(model.policy.action_dist) is CategoricalDistribution


def test_kept_sequence_inputs_belong_to_their_batch():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))] * 2)
    model = RecurrentPPO("MlpLstmPolicy", env, n_steps=8, policy_kwargs={"lstm_hidden_size": 8})
    model.learn(16)
    policy, buffer = model.policy, model.rollout_buffer
    batch = buffer.all_sequences()
    first = policy.run_sequences(batch.observations, batch.layout, batch.states)[0]
    other = buffer.sequences(np.array([1, 0]))  # the same steps, columns swapped
    swapped = policy.run_sequences(other.observations, other.layout, other.states)[0]
    assert not th.equal(first, swapped)
    # Steps come time-major over the columns asked for: envs 1, 0 at each time.
    th.testing.assert_close(swapped, first.view(8, 2, -1)[:, [1, 0]].reshape(16, -1))


def test_sequences_run_in_inference_mode_can_be_trained_on_next():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))] * 2)
    model = RecurrentPPO("MlpLstmPolicy", env, n_steps=8, policy_kwargs={"lstm_hidden_size": 8})
    model.learn(16)
    batch = model.rollout_buffer.all_sequences()
    with th.inference_mode():
        expected = model.policy.run_sequences(batch.observations, batch.layout, batch.states)[0]
    latent = model.policy.run_sequences(batch.observations, batch.layout, batch.states)[0]
    latent.sum().backward()
    # Inference and training run different kernels: equal to float precision, not bit for bit.
    th.testing.assert_close(latent.detach(), expected)
