"""The play loop and predict() zero the state where the memory mode says, and agree."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
import sb3_contrib
import torch as th
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

import envs  # noqa: F401  (registers TrialBandit-5arm-v0)
from rl_lstm.memory import trial_starts
from rl_lstm.play import play
from tests.conftest import ScheduledEpisodesEnv, tiny_agent
from train.evaluation import play_episodes


@pytest.mark.parametrize(
    ("memory", "zeroed_at"),
    [
        ("episode", [0, 2, 4, 6]),  # every episode start
        ("trial", [0, 4]),  # trial starts only: carried across a trial's episodes
        ("never", []),
    ],
)
def test_play_acts_from_a_zero_state_exactly_where_the_memory_mode_says(memory, zeroed_at):
    env = DummyVecEnv([lambda: ScheduledEpisodesEnv(episode_length=2, episodes_per_trial=2)])
    env.seed(0)
    model = tiny_agent(env, memory=memory)
    policy = model.policy
    steps = [step for _, step in zip(range(8), play(model, env), strict=False)]
    assert [step.episode_start for step in steps] == [True, False] * 4
    assert np.flatnonzero([step.trial_start for step in steps]).tolist() == [0, 4]
    assert np.flatnonzero([step.state_reset for step in steps]).tolist() == zeroed_at
    for index, step in enumerate(steps):
        with th.no_grad():
            fresh = policy.act(
                policy.obs_to_tensor(step.observation)[0], policy.initial_state(1), True
            )
        from_zero = th.equal(fresh.states.pi[1], step.act.states.pi[1])
        # A never-reset state starts at zeros, so its first step is from zeros too.
        assert from_zero == (step.state_reset or index == 0)


def bandit_env(seed: int) -> VecMonitor:
    env = VecMonitor(DummyVecEnv([lambda: gym.make("TrialBandit-5arm-v0")]))
    env.seed(seed)
    return env


def predict_loop(model, env, n_episodes: int, with_trial_start: bool = True):
    """The README's loop (``episode_start=dones``, ``trial_start=trial_starts(...)`` of the
    unwrapped VecEnv's reset infos): the episode returns, and the cell state after each step."""
    obs, state, dones = env.reset(), None, np.ones(env.num_envs, dtype=bool)
    returns, cells = [], []
    while len(returns) < n_episodes:
        action, state = model.predict(
            obs,
            state=state,
            episode_start=dones,
            trial_start=trial_starts(env.unwrapped.reset_infos) if with_trial_start else None,
            deterministic=True,
        )
        cells.append(state[1][-1, 0])
        obs, _, dones, infos = env.step(action)
        returns += [info["episode"]["r"] for info, done in zip(infos, dones, strict=True) if done]
    return returns, np.array(cells)


def test_the_documented_predict_loop_scores_what_evaluation_scores():
    model = tiny_agent(bandit_env(0), memory="trial")
    model.learn(256)
    expected = play_episodes(model, bandit_env(3), 30).returns
    played = [step for _, step in zip(range(30), play(model, bandit_env(3)), strict=False)]
    played_cells = np.array([step.act.states.pi[1][-1, 0].numpy() for step in played])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # trial_start given: no warning
        returns, cells = predict_loop(model, bandit_env(3), 30)
    assert returns == expected
    np.testing.assert_allclose(cells, played_cells, atol=1e-6)  # the state carried as in play
    # Without trial_start the state is zeroed at every pull (one-pull episodes), with a warning.
    with pytest.warns(UserWarning, match="no trial_start="):
        _, zeroed_cells = predict_loop(model, bandit_env(3), 30, with_trial_start=False)
    assert not np.allclose(zeroed_cells[1:], played_cells[1:], atol=1e-3)


def test_predict_in_trial_mode_without_trial_start_warns_once_and_zeroes_at_episode_starts():
    model = tiny_agent(bandit_env(0), memory="trial")
    obs = bandit_env(0).reset()
    _, state = model.predict(obs)
    with pytest.warns(UserWarning, match=r"trial_start=rl_lstm\.memory\.trial_starts"):
        _, zeroed = model.predict(obs, state, episode_start=np.ones(1, dtype=bool))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, again = model.predict(obs, state, episode_start=np.ones(1, dtype=bool))
        _, carried = model.predict(
            obs, state, episode_start=np.ones(1, dtype=bool), trial_start=np.zeros(1, dtype=bool)
        )
    _, from_none = model.predict(obs)
    assert np.array_equal(zeroed[1], from_none[1]) and np.array_equal(again[1], from_none[1])
    assert not np.array_equal(carried[1], from_none[1])


def test_predict_never_zeroes_a_never_reset_state():
    model = tiny_agent(bandit_env(0), memory="never")
    obs = bandit_env(0).reset()
    _, state = model.predict(obs)
    starts = np.ones(1, dtype=bool)
    _, carried = model.predict(obs, state, episode_start=starts, trial_start=starts)
    _, unflagged = model.predict(obs, state)
    _, from_none = model.predict(obs)
    assert np.array_equal(carried[1], unflagged[1])
    assert not np.array_equal(carried[1], from_none[1])


def test_predict_in_episode_mode_is_sb3_contribs_on_the_same_weights():
    env = DummyVecEnv([lambda: ScheduledEpisodesEnv(episode_length=3)] * 2)
    env.seed(0)
    policy_kwargs = {"lstm_hidden_size": 8}
    ours = tiny_agent(env, memory="episode")
    theirs = sb3_contrib.RecurrentPPO("MlpLstmPolicy", env, policy_kwargs=policy_kwargs, seed=0)
    theirs.policy.load_state_dict(ours.policy.state_dict())
    obs, our_state, their_state = env.reset(), None, None
    starts = np.ones(2, dtype=bool)
    for _ in range(10):
        our_action, our_state = ours.predict(obs, our_state, starts, deterministic=True)
        their_action, their_state = theirs.predict(obs, their_state, starts, deterministic=True)
        assert np.array_equal(our_action, their_action)
        for mine, reference in zip(our_state, their_state, strict=True):
            np.testing.assert_allclose(mine, reference, atol=1e-6)
        obs, _, starts, _ = env.step(our_action)
