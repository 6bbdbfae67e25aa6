"""Memory modes: where the state is zeroed and where returns end."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch as th
from sb3_contrib.common.recurrent.type_aliases import RNNStates
from stable_baselines3.common.vec_env import DummyVecEnv

from rl_lstm import RecurrentPPO
from rl_lstm.inspection import trace_rollout
from rl_lstm.memory import MemoryMode, StateResetRule, reset_states, trial_starts
from tests.conftest import TrialCueEnv

DONES = np.array([True, False, True, True])
INFOS = [{"trial_start": True}, {}, {"trial_start": False}, {"trial_start": True}]


def ones_states(n_envs: int = 4) -> RNNStates:
    """Actor and critic states of 2 layers and 3 units, all ones."""
    return RNNStates(*((th.ones(2, n_envs, 3), th.ones(2, n_envs, 3)) for _ in range(2)))


def zeroed_envs(states: RNNStates) -> list[bool]:
    """Per env, whether every tensor of ``states`` is zero there."""
    return [all(not t[:, env].any() for pair in states for t in pair) for env in range(4)]


def kept_envs(states: RNNStates) -> list[bool]:
    return [all(bool((t[:, env] == 1).all()) for pair in states for t in pair) for env in range(4)]


def test_trial_starts_reads_reset_infos_and_counts_a_missing_key_as_a_start():
    assert trial_starts(INFOS).tolist() == [True, True, False, True]


def test_episode_mode_zeroes_the_state_at_every_episode_end():
    rule = StateResetRule(MemoryMode.EPISODE)
    states, resets = rule.after_step(ones_states(), DONES, INFOS)
    assert resets.tolist() == zeroed_envs(states) == [True, False, True, True]
    assert kept_envs(states) == [False, True, False, False]
    assert rule.return_ends(DONES, resets).tolist() == DONES.tolist()


def test_trial_mode_zeroes_only_at_trial_starts_and_ends_returns_there():
    rule = StateResetRule(MemoryMode.TRIAL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # env 1 has no trial_start key but did not reset
        states, resets = rule.after_step(ones_states(), DONES, INFOS)
    assert resets.tolist() == zeroed_envs(states) == [True, False, False, True]
    assert rule.return_ends(DONES, resets).tolist() == [True, False, False, True]
    episode_bounded = StateResetRule(MemoryMode.TRIAL, trial_returns=False)
    assert episode_bounded.return_ends(DONES, resets).tolist() == DONES.tolist()


def test_never_mode_never_zeroes_the_state():
    rule = StateResetRule(MemoryMode.NEVER)
    after_step, after_reset = (
        rule.after_step(ones_states(), DONES, INFOS),
        rule.after_reset(ones_states()),
    )
    for states, resets in (after_step, after_reset):
        assert not resets.any() and all(kept_envs(states))
    states, resets = StateResetRule(MemoryMode.EPISODE).after_reset(ones_states())
    assert resets.all() and all(zeroed_envs(states))


def test_one_lstms_state_is_zeroed_as_both_networks_states_are():
    h, c = reset_states((th.ones(1, 4, 3), th.ones(1, 4, 3)), DONES)
    kept = [bool(h[:, env].any() or c[:, env].any()) for env in range(4)]
    assert kept == [False, True, False, False]


def test_missing_trial_key_counts_as_a_trial_start_and_warns_once():
    rule = StateResetRule(MemoryMode.TRIAL)
    with pytest.warns(UserWarning, match="no 'trial_start' key"):
        assert rule.after_step(ones_states(1), np.array([True]), [{}])[1].tolist() == [True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rule.after_step(ones_states(1), np.array([True]), [{}])[1].tolist() == [True]


def test_parse_names_the_accepted_modes():
    assert MemoryMode.parse("trial") is MemoryMode.TRIAL
    with pytest.raises(ValueError, match="'episode', 'trial', 'never'"):
        MemoryMode.parse("always")


def later_episode_score(memory: str) -> float:
    """Mean return of the second episode of each trial after a short training."""
    env = DummyVecEnv([TrialCueEnv] * 8)
    model = RecurrentPPO(
        "MlpLstmPolicy",
        env,
        n_steps=16,
        batch_size=64,
        n_epochs=4,
        learning_rate=3e-3,
        gamma=0.9,
        memory=memory,
        policy_kwargs={"lstm_hidden_size": 16, "net_arch": [16]},
        seed=0,
    )
    model.learn(12_000)
    eval_env = DummyVecEnv([TrialCueEnv])
    trace = trace_rollout(model, eval_env, n_episodes=200, render=False)
    return float(np.mean(trace.episode_returns[1::2]))


def test_carrying_the_state_across_a_trial_learns_what_episode_memory_cannot():
    with_trial_memory, with_episode_memory = (
        later_episode_score("trial"),
        later_episode_score("episode"),
    )
    assert with_trial_memory >= 0.95
    assert with_episode_memory <= 0.65
