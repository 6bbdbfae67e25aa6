"""Memory modes: where the state is zeroed and where returns end."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from stable_baselines3.common.vec_env import DummyVecEnv

from rl_lstm import RecurrentPPO
from rl_lstm.inspection import trace_rollout
from rl_lstm.memory import MemoryMode, StateResetRule
from tests.conftest import TrialCueEnv

DONES = np.array([True, False, True, True])
INFOS = [{"trial_start": True}, {}, {"trial_start": False}, {"trial_start": True}]


def test_episode_mode_resets_at_every_episode_end():
    rule = StateResetRule(MemoryMode.EPISODE)
    assert rule.resets_after_step(DONES, INFOS).tolist() == [True, False, True, True]
    assert rule.return_ends(DONES, rule.resets_after_step(DONES, INFOS)).tolist() == DONES.tolist()


def test_trial_mode_resets_only_at_trial_starts_and_ends_returns_there():
    rule = StateResetRule(MemoryMode.TRIAL)
    resets = rule.resets_after_step(DONES, INFOS)
    assert resets.tolist() == [True, False, False, True]
    assert rule.return_ends(DONES, resets).tolist() == [True, False, False, True]
    episode_bounded = StateResetRule(MemoryMode.TRIAL, trial_returns=False)
    assert episode_bounded.return_ends(DONES, resets).tolist() == DONES.tolist()


def test_never_mode_never_resets():
    rule = StateResetRule(MemoryMode.NEVER)
    assert not rule.resets_after_step(DONES, INFOS).any()
    assert not rule.resets_at_start(3).any()
    assert StateResetRule(MemoryMode.EPISODE).resets_at_start(3).all()


def test_missing_trial_key_counts_as_a_trial_start_and_warns_once():
    rule = StateResetRule(MemoryMode.TRIAL)
    with pytest.warns(UserWarning, match="no 'trial_start' key"):
        assert rule.resets_after_step(np.array([True]), [{}]).tolist() == [True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rule.resets_after_step(np.array([True]), [{}]).tolist() == [True]


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
