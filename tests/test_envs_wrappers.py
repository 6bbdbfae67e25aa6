"""Tests of the wrappers: masked observations, and the previous action and reward observed."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # noqa: F401  (registers the tasks)
from envs.wrappers import MaskObservation, PrevActionReward
from tests.conftest import RandomSpaceEnv


def test_mask_observation_keeps_the_chosen_entries():
    env = MaskObservation(gym.make("CartPole-v1"), keep=[2, 0])
    full = gym.make("CartPole-v1")
    observation, _ = env.reset(seed=1)
    state, _ = full.reset(seed=1)
    np.testing.assert_array_equal(observation, state[[2, 0]])
    assert env.observation_space.shape == (2,)
    np.testing.assert_array_equal(env.observation_space.high, full.observation_space.high[[2, 0]])
    observation, *_ = env.step(1)
    state, *_ = full.step(1)
    np.testing.assert_array_equal(observation, state[[2, 0]])


@pytest.mark.parametrize("keep", [[], [4], [-1], [[0, 1]]])
def test_mask_observation_rejects_bad_indices(keep):
    with pytest.raises(ValueError, match=r"keep must be a non-empty list of indices in \[0, 3\]"):
        MaskObservation(gym.make("CartPole-v1"), keep=keep)


def test_mask_observation_needs_a_flat_box():
    with pytest.raises(ValueError, match="needs a 1-D Box observation space, got Discrete"):
        MaskObservation(gym.make("TMaze-v0"), keep=[0])


def test_prev_action_reward_after_steps_and_resets():
    env = PrevActionReward(gym.make("TMaze-v0", length=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a wrapped env, and an unbounded reward entry
        check_env(env, skip_render_check=True)
    observation, _ = env.reset(seed=0)
    assert env.observation_space["observation"] == gym.spaces.Discrete(4)
    assert not observation["prev_action"].any() and observation["prev_reward"][0] == 0
    observation, *_ = env.step(0)  # east, to the junction
    np.testing.assert_array_equal(observation["prev_action"], [1, 0, 0, 0])
    cue_north = env.unwrapped._north_pays
    observation, reward, *_ = env.step(2 if cue_north else 3)
    assert reward == 1.0 and observation["prev_reward"][0] == 1.0
    observation, _ = env.reset()
    assert not observation["prev_action"].any() and observation["prev_reward"][0] == 0


def test_prev_action_reward_carries_over_within_a_trial():
    env = PrevActionReward(gym.make("TrialBandit-5arm-v0"))
    observation, info = env.reset(seed=0)
    assert info["trial_start"] and not observation["prev_action"].any()
    _, reward, *_ = env.step(3)
    observation, info = env.reset()
    assert not info["trial_start"]
    np.testing.assert_array_equal(observation["prev_action"], [0, 0, 0, 1, 0])
    assert observation["prev_reward"][0] == reward


def test_prev_action_reward_needs_discrete_actions():
    with pytest.raises(ValueError, match="needs a Discrete action space, got Box"):
        PrevActionReward(gym.make("MaskedPendulum-v0"))


def random_env(actions: gym.spaces.Discrete) -> PrevActionReward:
    """Reward 1 at every step, and no ``trial_start`` in the reset info."""
    return PrevActionReward(RandomSpaceEnv(gym.spaces.Box(-1.0, 1.0, (2,)), actions))


def test_prev_action_reward_zeroes_at_every_reset_of_an_env_without_trials():
    env = random_env(gym.spaces.Discrete(3))
    env.reset(seed=0)
    observation, *_ = env.step(2)
    np.testing.assert_array_equal(observation["prev_action"], [0, 0, 1])
    assert observation["prev_reward"][0] == 1.0
    observation, info = env.reset()
    assert "trial_start" not in info
    assert not observation["prev_action"].any() and observation["prev_reward"][0] == 0


def test_prev_action_one_hot_counts_from_the_start_of_the_action_space():
    env = random_env(gym.spaces.Discrete(3, start=-1))
    assert env.observation_space["prev_action"].shape == (3,)
    env.reset(seed=0)
    observation, *_ = env.step(-1)
    np.testing.assert_array_equal(observation["prev_action"], [1, 0, 0])
    observation, *_ = env.step(1)
    np.testing.assert_array_equal(observation["prev_action"], [0, 0, 1])


def test_prev_action_reward_observations_already_returned_are_not_changed_by_later_steps():
    env = random_env(gym.spaces.Discrete(3))
    first, _ = env.reset(seed=0)
    second, *_ = env.step(0)
    env.step(1)
    env.reset()
    assert not first["prev_action"].any() and first["prev_reward"][0] == 0
    np.testing.assert_array_equal(second["prev_action"], [1, 0, 0])
    assert second["prev_reward"][0] == 1.0
