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


def stepped_twins(optimizer_kwargs=None):
    """Two identical policies with identical gradients in their flat buffers."""
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))])
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


def test_optimizer_step_is_optimizer_steps_result_on_the_fused_path():
    for ours, reference in stepped_twins():
        ours.optimizer_step()
        reference.optimizer.step()
        assert th.equal(ours.flat_parameters.data, reference.flat_parameters.data)
        state, expected = ours.optimizer.state_dict(), reference.optimizer.state_dict()
        assert all(th.equal(state["state"][0][k], v) for k, v in expected["state"][0].items())
        # From the second step on (the first makes Adam's state), the functional path is taken.
        assert ours._steps_as_plain_fused_adam()


def test_optimizer_step_falls_back_to_step_for_hooks_and_other_settings():
    for ours, reference in stepped_twins({"eps": 1e-5, "amsgrad": True}):
        ours.optimizer_step()
        reference.optimizer.step()
        assert not ours._steps_as_plain_fused_adam()
        assert th.equal(ours.flat_parameters.data, reference.flat_parameters.data)
    calls = []
    policy, _ = next(stepped_twins())
    policy.optimizer.register_step_pre_hook(lambda *_: calls.append(1))
    policy.optimizer_step()
    policy.optimizer_step()
    assert calls == [1, 1]


def test_optimizer_step_falls_back_where_torch_keeps_its_hooks_elsewhere(monkeypatch):
    from torch.optim import optimizer as torch_optimizer

    policy, _ = next(stepped_twins())
    policy.optimizer_step()
    assert policy._steps_as_plain_fused_adam()
    monkeypatch.delattr(torch_optimizer, "_global_optimizer_post_hooks")
    assert not policy._steps_as_plain_fused_adam()


def test_acting_follows_weights_after_an_optimizer_step():
    policy, reference = next(stepped_twins())
    obs, states = th.randn(1, 3), policy.initial_state(1)
    with th.no_grad():
        for _ in range(2):  # the first step makes Adam's state, the second is the fused path
            policy.act(obs, states)  # caches the weights acting uses
            policy.optimizer_step()
            reference.optimizer_step()
        reference._step_weights_cache.clear()
        assert th.equal(policy.act(obs, states).values, reference.act(obs, states).values)


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
    assert not th.equal(values(first), values(second))


def test_discrete_actions_use_rl_lstms_categorical_distribution():
    env = DummyVecEnv([lambda: RandomSpaceEnv(spaces.Box(-1, 1, (3,)), spaces.Discrete(2))])
    model = RecurrentPPO("MlpLstmPolicy", env, policy_kwargs={"lstm_hidden_size": 8})
    assert type(model.policy.action_dist) is CategoricalDistribution


@pytest.mark.parametrize("observation", ["discrete", "dict", "small-image"])
def test_whole_rollout_features_are_extracted_once_per_update_only_without_weights(
    observation, monkeypatch
):
    policy_name, observation_space = OBSERVATION_SPACES[observation]
    env = DummyVecEnv([lambda: RandomSpaceEnv(observation_space, spaces.Discrete(2))] * 2)
    model = RecurrentPPO(
        policy_name,
        env,
        n_steps=8,
        batch_size=16,
        n_epochs=3,
        policy_kwargs={"lstm_hidden_size": 8},
    )
    policy, extractions = model.policy, []
    extract_features = policy.extract_features

    def counted(obs):
        extractions.append(policy.training)  # True in the update, False while acting
        return extract_features(obs)

    monkeypatch.setattr(policy, "extract_features", counted)
    model.learn(32)  # two rollouts, two updates
    # A CNN's features change with its weights at every epoch: they are extracted again.
    has_weights = any(True for _ in policy.features_extractor.parameters())
    assert extractions.count(True) == 2 * (3 if has_weights else 1)


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
